#!/usr/bin/env bash
# Build a service's gate image (loadtests/Dockerfile.gate): locust, the kit's gate plugin and the
# service's locustfile from its contract; `rollout deploy --target k8s --gate-image IMAGE` runs
# it as a Job. Same base and CA handling as scripts/docker-image.sh.
#   KIT_CONTRACT   the service's kit.toml (default: this repository's)
#   IMAGE          tag to build (default <contract's image.name>-gate:local)
#   BASE_IMAGE     base image; empty (default) builds/reuses the local debootstrap base,
#                  `pinned` uses the Dockerfile's registry default (tag + digest)
#   EXTRA_CA_FILE  CA bundle pip trusts on top of Debian's (default: the host's; empty disables)
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
image=${IMAGE:-$("$python" -m kitcore.contract --contract "$contract" get image.name)-gate:local}
args=()
kit_base_and_ca_args "$docker"

# Only what the gate runs reaches dockerd: nothing else of the checkout.
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
while IFS= read -r arg; do args+=(--build-arg "$arg"); done \
  < <("$python" -m loadtests.gate_context --contract "$contract" "$context")
[ -f "$context/gate-requirements.txt" ] || { echo "staging the gate context failed" >&2; exit 1; }

"$docker" build --network host --progress "${BUILD_PROGRESS:-plain}" "${args[@]}" \
  -f "$PWD/loadtests/Dockerfile.gate" -t "$image" "$context"
echo "built $image" >&2
