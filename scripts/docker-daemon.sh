#!/usr/bin/env bash
# Make a Docker daemon available without touching the machine's network: reuse a running one,
# else (as root) start a private dockerd with no bridge, no iptables and no NAT.
# Usage: scripts/docker-daemon.sh start|stop|status
#   start   prints `export DOCKER_HOST=...` on stdout (eval it); idempotent, safe to run in parallel
#   stop    stops only the private dockerd this script started (by its pid), keeping its image cache
# The private daemon keeps its state outside the checkout so every clone on the machine shares the
# image cache: DOCKER_STATE_DIR (default /var/tmp/flask-kit-docker).
set -euo pipefail

state=${DOCKER_STATE_DIR:-/var/tmp/flask-kit-docker}
sock=$state/docker.sock
pidfile=$state/dockerd.pid
exec_root=$state/exec

log() { echo "docker-daemon: $*" >&2; }
answers() { DOCKER_HOST=$1 timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
private_pid() { [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && cat "$pidfile"; }

start() {
  # A daemon the user already has wins: an explicit DOCKER_HOST, then the system socket.
  if [ -n "${DOCKER_HOST:-}" ] && answers "$DOCKER_HOST"; then
    echo "export DOCKER_HOST=$DOCKER_HOST"; return
  fi
  if answers unix:///var/run/docker.sock; then
    echo "export DOCKER_HOST=unix:///var/run/docker.sock"; return
  fi
  mkdir -p "$state"
  exec 9>"$state/lock"
  flock -w 120 9 || { log "another start holds $state/lock"; exit 1; }
  if ! answers "unix://$sock"; then
    if [ "$(id -u)" -ne 0 ]; then
      log "no Docker daemon answers and starting one needs root (or set DOCKER_HOST)"; exit 1
    fi
    if ! command -v dockerd >/dev/null; then
      log "installing docker.io"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
    fi
    log "starting a private dockerd on $sock (state in $state)"
    # --bridge=none and the iptables flags leave the host's interfaces and firewall untouched:
    # builds and containers use --network host and bind 127.0.0.1.
    setsid dockerd --data-root "$state/data" --exec-root "$exec_root" --pidfile "$pidfile" \
      -H "unix://$sock" --bridge=none --iptables=false --ip6tables=false --ip-forward=false \
      --ip-masq=false --userland-proxy=false --log-level=warn \
      </dev/null >>"$state/dockerd.log" 2>&1 9>&- &
    for _ in $(seq 120); do
      answers "unix://$sock" && break
      kill -0 $! 2>/dev/null || { log "dockerd exited; last log lines:"; tail -n 20 "$state/dockerd.log" >&2; exit 1; }
      sleep 0.5
    done
    answers "unix://$sock" || { log "dockerd did not answer within 60 s"; exit 1; }
  fi
  echo "export DOCKER_HOST=unix://$sock"
}

stop() {
  local pid
  if pid=$(private_pid); then
    log "stopping private dockerd (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && { log "dockerd (pid $pid) did not stop within 30 s"; exit 1; }
  fi
  # dockerd leaves its network namespace bind mount behind; unmount it so the state can be deleted.
  if mountpoint -q "$exec_root/netns/default" 2>/dev/null; then umount "$exec_root/netns/default"; fi
  rm -f "$pidfile" "$sock"
}

status() {
  local pid
  if pid=$(private_pid); then echo "private dockerd running (pid $pid) on unix://$sock"
  elif answers unix:///var/run/docker.sock; then echo "system Docker daemon on unix:///var/run/docker.sock"
  else echo "no Docker daemon running"; return 3
  fi
}

case "${1:-}" in
  start | stop | status) "$1" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
