#!/bin/sh
# The image's command: the contract's production defaults (serve.production_env, only where the
# environment has no value of its own), then gunicorn with the service's config module and WSGI
# entry (build arguments, see the Dockerfile). exec: gunicorn becomes tini's child and gets
# SIGTERM straight from it.
set -eu
while IFS='=' read -r key value; do
  case "$key" in '' | '#'*) continue ;; esac
  if ! printenv "$key" >/dev/null; then export "$key=$value"; fi
done </etc/kit/production-defaults
exec gunicorn -c "python:${GUNICORN_CONFIG}" "${WSGI_APP}"
