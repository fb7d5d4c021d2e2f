#!/usr/bin/env bash
# Install the system packages the kit runs on (Debian): servers for the local stack and tests,
# the Docker engine, and the browser for UI tests. Needs root; otherwise names what is missing.
set -euo pipefail
packages=(postgresql redis-server nginx docker.io docker-compose debootstrap wrk chromium chromium-driver
          openssl procps iproute2 curl git make)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# kubectl is not a Debian package: machines of this kind ship it; elsewhere install it by hand.
command -v kubectl >/dev/null 2>&1 || { echo "missing kubectl (client only): see https://kubernetes.io/docs/tasks/tools/" >&2; exit 1; }
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
