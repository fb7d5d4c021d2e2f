"""Drop what a service's virtualenv carries but never reads, before it is byte-compiled.

    python3 slim-venv.py VENV "s3 sts" "en fr"

- botocore (and boto3) ship the API models of every AWS service, about 28 MB; a client loads
  only its own service's, so the rest go (the shared endpoint and retry files stay).
- Babel ships the CLDR data of some 800 locales, about 32 MB; the app formats dates and
  numbers in its own languages only (root and every regional variant of them stay).
- Test suites and type stubs shipped inside wheels.
Prints what it removed. Standard library only: it runs in the builder's bare python3.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def site_packages(venv: Path) -> Path:
    """Return VENV's site-packages directory."""
    return next(venv.glob("lib/python3*/site-packages"))


def remove(path: Path) -> int:
    """Remove a file or tree; return the bytes it held."""
    if path.is_dir():
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        shutil.rmtree(path)
        return size
    size = path.stat().st_size
    path.unlink()
    return size


def aws_models(site: Path, services: set[str]) -> int:
    """Keep the models of SERVICES (botocore and boto3) and the shared top-level files."""
    freed = 0
    for data in (site / "botocore" / "data", site / "boto3" / "data"):
        if data.is_dir():
            for entry in data.iterdir():
                if entry.is_dir() and entry.name not in services:
                    freed += remove(entry)
    return freed


def babel_locales(site: Path, languages: set[str]) -> int:
    """Keep root and every locale of LANGUAGES (en, en_GB, en_001, ...) in Babel's data."""
    data, freed = site / "babel" / "locale-data", 0
    if data.is_dir():
        for entry in data.glob("*.dat"):
            if entry.stem != "root" and entry.stem.split("_")[0] not in languages:
                freed += remove(entry)
    return freed


def bundled_tests(site: Path) -> int:
    """Remove test packages that wheels ship inside their own package (never imported)."""
    freed = 0
    for pattern in ("*/tests", "*/*/tests", "*/test"):
        for entry in list(site.glob(pattern)):
            if entry.is_dir() and not entry.name.endswith(".dist-info"):
                freed += remove(entry)
    return freed


def main(argv: list[str]) -> int:
    """Slim the virtualenv named in ARGV."""
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    site = site_packages(Path(argv[0]))
    freed = {
        "AWS models": aws_models(site, set(argv[1].split())),
        "Babel locales": babel_locales(site, set(argv[2].split())),
        "bundled tests": bundled_tests(site),
    }
    for what, size in freed.items():
        print(f"slim-venv: {what}: {size / 1e6:.1f} MB removed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
