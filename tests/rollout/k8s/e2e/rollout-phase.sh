#!/usr/bin/env bash
# Wait until the rollout in progress recorded in the cluster reaches PHASE (k8s-e2e.yml kills
# the rollout there). Reads the state ConfigMap the rollout keeps (k8s/README.md, "State, lock
# and interruptions"). Usage: rollout-phase.sh NAMESPACE PREFIX PHASE [TIMEOUT_S]
set -euo pipefail
ns=$1 prefix=$2 phase=$3 timeout=${4:-600}
deadline=$((SECONDS + timeout))
while ((SECONDS < deadline)); do
  current=$(kubectl -n "$ns" get configmap "$prefix-rollout-state" --ignore-not-found \
    -o jsonpath='{.data.state\.json}' \
    | python3 -c 'import json, sys; t = sys.stdin.read(); print(((json.loads(t) if t else {}).get("current") or {}).get("phase", ""))')
  if [ "$current" = "$phase" ]; then
    echo "rollout in phase $phase"
    exit 0
  fi
  sleep 1
done
echo "the rollout never reached phase $phase within ${timeout}s" >&2
exit 1
