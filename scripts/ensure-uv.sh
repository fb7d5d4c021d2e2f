#!/usr/bin/env bash
# Make the pinned uv available: reuse one on PATH, else install it from PyPI for this user.
set -euo pipefail
version="0.13.9"
if command -v uv >/dev/null 2>&1; then exit 0; fi
echo "installing uv ${version}"
# Debian's system Python refuses pip installs outside a venv (PEP 668) unless told otherwise.
python3 -m pip install --quiet "uv==${version}" 2>/dev/null \
  || python3 -m pip install --quiet --break-system-packages "uv==${version}"
# pyenv installs console scripts behind shims that exist only after a rehash.
command -v uv >/dev/null 2>&1 || { command -v pyenv >/dev/null 2>&1 && pyenv rehash; } || true
command -v uv >/dev/null 2>&1 || { echo "uv installed but not on PATH (add ~/.local/bin)" >&2; exit 1; }
