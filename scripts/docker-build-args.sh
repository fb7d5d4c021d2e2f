# Sourced by scripts/docker-image.sh and scripts/gate-image.sh (not run): the docker CLI that
# can use BuildKit, and the base image and extra-CA arguments both builds take.
#   BASE_IMAGE, BASE_IMAGE_LOCAL, EXTRA_CA_FILE: as documented in those scripts.

# Print the docker CLI to use. BuildKit is needed for secret, tmpfs and cache mounts: a CLI
# without buildx cannot enable it, but Debian's 20.10 CLI still has BuildKit built in.
kit_docker_cli() {
  local docker=${DOCKER:-docker}
  if ! "$docker" buildx version >/dev/null 2>&1 && [ -x /usr/bin/docker ] \
    && /usr/bin/docker version --format '{{.Client.Version}}' 2>/dev/null | grep -q '^20\.'; then
    docker=/usr/bin/docker
  fi
  echo "$docker"
}

# Append the base image and the extra-CA secret to the caller's array `args`; $1 is the CLI.
kit_base_and_ca_args() {
  case "${BASE_IMAGE:-}" in
    "") BASE_IMAGE_LOCAL=${BASE_IMAGE_LOCAL:-localhost/debian:bookworm-minbase}
        DOCKER=$1 BASE_IMAGE_LOCAL=$BASE_IMAGE_LOCAL scripts/docker-base-image.sh
        args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE_LOCAL") ;;
    pinned) ;;
    *) args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE") ;;
  esac
  local extra_ca=${EXTRA_CA_FILE-/etc/ssl/certs/ca-certificates.crt}
  if [ -n "$extra_ca" ]; then
    [ -r "$extra_ca" ] || { echo "EXTRA_CA_FILE $extra_ca is not readable" >&2; exit 1; }
    args+=(--secret "id=extra_ca,src=$extra_ca")
  fi
}
