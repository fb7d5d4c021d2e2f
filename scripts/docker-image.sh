#!/usr/bin/env bash
# Build a service's image (`make image`): start a Docker daemon if none runs, make the local Debian
# base when no registry image is chosen, stage the build context from the service's contract
# (kitcore/image.py), then build the kit's Dockerfile with BuildKit on the host network.
#   KIT_CONTRACT   the service's kit.toml (default: this repository's)
#   IMAGE          tag to build (default <contract's image.name>:local)
#   BASE_IMAGE     base image; empty (default) builds/reuses the local debootstrap base,
#                  `pinned` uses the Dockerfile's registry default (tag + digest)
#   EXTRA_CA_FILE  CA bundle the builder trusts on top of Debian's (default: the host's bundle,
#                  so builds behind a TLS-intercepting proxy work; set it empty to disable)
#   APP_VERSION    version baked into the image (default: git describe)
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(scripts/docker-daemon.sh start)"
export DOCKER_HOST
# BuildKit is needed for secret, tmpfs and cache mounts: a CLI without buildx cannot enable it.
docker=${DOCKER:-docker}
if ! "$docker" buildx version >/dev/null 2>&1; then
  if [ -x /usr/bin/docker ] && /usr/bin/docker version --format '{{.Client.Version}}' 2>/dev/null | grep -q '^20\.'; then
    docker=/usr/bin/docker  # Debian's 20.10 CLI still has BuildKit built in
  fi
fi
export DOCKER_BUILDKIT=1

python=${PYTHON:-.venv/bin/python}
[ -x "$python" ] || { echo "no $python: run make install first" >&2; exit 1; }
contract=${KIT_CONTRACT:-kit.toml}
image=${IMAGE:-$("$python" -m kitcore.contract --contract "$contract" get image.name):local}
args=()
case "${BASE_IMAGE:-}" in
  "") BASE_IMAGE_LOCAL=${BASE_IMAGE_LOCAL:-localhost/debian:bookworm-minbase}
      DOCKER=$docker BASE_IMAGE_LOCAL=$BASE_IMAGE_LOCAL scripts/docker-base-image.sh
      args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE_LOCAL") ;;
  pinned) ;;
  *) args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE") ;;
esac
extra_ca=${EXTRA_CA_FILE-/etc/ssl/certs/ca-certificates.crt}
if [ -n "$extra_ca" ]; then
  [ -r "$extra_ca" ] || { echo "EXTRA_CA_FILE $extra_ca is not readable" >&2; exit 1; }
  args+=(--secret "id=extra_ca,src=$extra_ca")
fi
version=${APP_VERSION:-$("$python" -m kitcore.release "$(dirname "$contract")")}

# The context holds only what the contract declares: nothing else of the checkout reaches dockerd.
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
while IFS= read -r arg; do args+=(--build-arg "$arg"); done \
  < <("$python" -m kitcore.image --contract "$contract" "$context" "$version")
[ -f "$context/uv.lock" ] || { echo "staging the build context failed" >&2; exit 1; }

start=$(date +%s)
"$docker" build --network host --progress "${BUILD_PROGRESS:-plain}" "${args[@]}" \
  -f "$PWD/Dockerfile" -t "$image" "$context"
size=$("$docker" image inspect --format '{{.Size}}' "$image")
echo "built $image ($version): $((size / 1000000)) MB in $(( $(date +%s) - start )) s" >&2
