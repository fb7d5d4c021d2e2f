#!/bin/sh
# Run a builder-stage command that trusts Debian's CA bundle plus an optional extra CA (a BuildKit
# secret named extra_ca: a TLS-intercepting proxy's root). The merged bundle lives on a tmpfs mount
# (/run/ca), so neither it nor the secret ends up in any image layer.
set -eu
bundle=/run/ca/bundle.pem
cat /etc/ssl/certs/ca-certificates.crt >"$bundle"
if [ -s /run/secrets/extra_ca ]; then cat /run/secrets/extra_ca >>"$bundle"; fi
export SSL_CERT_FILE="$bundle" PIP_CERT="$bundle" REQUESTS_CA_BUNDLE="$bundle"
exec "$@"
