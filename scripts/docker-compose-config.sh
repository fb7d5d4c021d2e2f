#!/usr/bin/env bash
# Validate and print compose.yml with the Compose implementation at hand: `docker compose` (v2)
# when installed, else Debian's docker-compose 1.29 (installed here when run as root).
# Arguments go to `config` (e.g. -q). No daemon is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
if docker compose version >/dev/null 2>&1; then
  exec docker compose -f compose.yml config "$@"
fi
if ! command -v docker-compose >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "docker-compose is missing (apt-get install docker-compose, or Docker Compose v2)" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null \
    || { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null; }
fi
exec docker-compose -f compose.yml config "$@"
