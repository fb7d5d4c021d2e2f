#!/usr/bin/env bash
# Check where public traffic is after a k8s-e2e.yml step: the colour the active Service selects
# and the release the public route answers with (on the contract's identity route and field).
# Usage: expect.sh COLOUR VERSION   (NS, P, HOST and RUNNER_TEMP come from the workflow.)
set -euo pipefail
colour=$1 version=$2
selected=$(kubectl -n "$NS" get service "$P-active" -o jsonpath='{.spec.selector.color}')
if [ "$selected" != "$colour" ]; then
  echo "$P-active selects '$selected', expected '$colour'" >&2
  exit 1
fi
identity=$(.venv/bin/python -m kitcore.contract get health.identity)
field=$(.venv/bin/python -m kitcore.contract get health.version_field)
answered=$(curl -fsS --cacert "$RUNNER_TEMP/tls/ca.pem" "https://$HOST$identity" \
  | python3 -c "import json, sys; print(json.load(sys.stdin)['$field'])")
if [ "$answered" != "$version" ]; then
  echo "the public route answers $answered, expected $version" >&2
  exit 1
fi
echo "public route: $colour answers $version"
