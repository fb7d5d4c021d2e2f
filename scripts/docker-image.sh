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

# shellcheck source=scripts/docker-build-args.sh
source scripts/docker-build-args.sh
eval "$(scripts/docker-daemon.sh start)"
export DOCKER_HOST DOCKER_BUILDKIT=1
docker=$(kit_docker_cli)

python=${PYTHON:-.venv/bin/python}
[ -x "$python" ] || { echo "no $python: run make install first" >&2; exit 1; }
contract=${KIT_CONTRACT:-kit.toml}
image=${IMAGE:-$("$python" -m kitcore.contract --contract "$contract" get image.name):local}
args=()
kit_base_and_ca_args "$docker"
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
