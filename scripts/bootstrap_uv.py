"""Install the pinned uv from its PyPI wheel, checked against the pinned hashes (stdlib only).

A fresh Debian has python3 but no pip: the wheel is a zip holding the uv binary, so it is
fetched from PyPI's simple index, its sha256 compared with scripts/docker/build-requirements.txt
(the one place uv's version and hashes are pinned), and the binary copied to DEST.
Usage: python3 scripts/bootstrap_uv.py DEST_DIR
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import sys
import urllib.request
import zipfile
from io import BytesIO
from pathlib import Path

PINS = Path(__file__).resolve().parent / "docker" / "build-requirements.txt"
INDEX = "https://pypi.org/simple/uv/"
ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def pins() -> tuple[str, set[str]]:
    """Return uv's pinned version and the sha256 hashes allowed for its wheels."""
    text = PINS.read_text()
    version = re.search(r"^uv==([\w.]+)", text, flags=re.MULTILINE)
    if version is None:
        sys.exit(f"bootstrap_uv: no uv==VERSION pin in {PINS}")
    return version.group(1), set(re.findall(r"--hash=sha256:([0-9a-f]{64})", text))


def wheel_url(version: str, hashes: set[str]) -> tuple[str, str]:
    """Find this machine's manylinux wheel of uv VERSION among the pinned hashes."""
    arch = ARCH.get(platform.machine().lower())
    if arch is None:
        sys.exit(f"bootstrap_uv: no pinned uv wheel for {platform.machine()}")
    request = urllib.request.Request(
        INDEX, headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - fixed https URL
        files = json.load(answer)["files"]
    for entry in files:
        name, digest = entry["filename"], entry["hashes"].get("sha256", "")
        ours = name.startswith(f"uv-{version}-") and "manylinux" in name and arch in name
        if ours and digest in hashes:
            return entry["url"], digest
    sys.exit(f"bootstrap_uv: PyPI has no uv {version} wheel for {arch} with a pinned hash")


def install(dest: Path) -> Path:
    """Download, verify and unpack uv into DEST; return the binary's path."""
    version, hashes = pins()
    url, digest = wheel_url(version, hashes)
    print(f"installing uv {version} from PyPI into {dest}", file=sys.stderr)
    with urllib.request.urlopen(url, timeout=300) as answer:  # noqa: S310 - https URL from PyPI
        data = answer.read()
    if hashlib.sha256(data).hexdigest() != digest:
        sys.exit(f"bootstrap_uv: {url} does not match its pinned sha256")
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(BytesIO(data)) as wheel:
        for member in ("uv", "uvx"):
            blob = wheel.read(f"uv-{version}.data/scripts/{member}")
            target = dest / member
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(blob)
            tmp.chmod(0o755)
            tmp.replace(target)
    return dest / "uv"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 scripts/bootstrap_uv.py DEST_DIR")
    print(install(Path(sys.argv[1])))
