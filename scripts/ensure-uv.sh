#!/usr/bin/env bash
# Print the path of the pinned uv (scripts/docker/build-requirements.txt), installing it when
# missing: the one on PATH if it is that version, else ~/.local/bin/uv, else a hash-checked
# wheel from PyPI unpacked there (no pip needed; a fresh Debian has python3 but no pip).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's/^uv==\([0-9.]*\).*/\1/p' "$here/docker/build-requirements.txt")
pinned() { [ -x "$1" ] && [ "$("$1" --version 2>/dev/null | cut -d' ' -f2)" = "$version" ]; }
if found=$(command -v uv 2>/dev/null) && pinned "$found"; then echo "$found"; exit 0; fi
dest=${UV_INSTALL_DIR:-$HOME/.local/bin}
if pinned "$dest/uv"; then echo "$dest/uv"; exit 0; fi
python3 "$here/bootstrap_uv.py" "$dest"
