#!/usr/bin/env bash
# Install the Debian packages a job needs, so a fresh Debian 12 (python3, git, make) runs it.
#   demo  the local stack: PostgreSQL, Redis, Nginx, and what the rollout's checks call
#   bench demo + wrk (`make bench`)
#   test  demo + the Docker engine, debootstrap, wrk and the browser the test suite drives
# As root, missing packages are installed with apt-get. Otherwise the one line naming them is
# printed and the script exits 2: nothing is assumed to be on the machine.
set -euo pipefail

profile=${1:-test}
demo=(ca-certificates git make procps iproute2 curl postgresql redis-server nginx)
case "$profile" in
  demo) packages=("${demo[@]}") ;;
  bench) packages=("${demo[@]}" wrk) ;;
  test) packages=("${demo[@]}" docker.io docker-compose debootstrap wrk chromium chromium-driver openssl) ;;
  *) echo "usage: $0 demo|bench|test" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages for '$profile': ${missing[*]} (as root: apt-get install -y ${missing[*]})" >&2
  exit 2
fi
echo "installing system packages for '$profile': ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
