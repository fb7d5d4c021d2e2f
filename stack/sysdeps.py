"""Check the system programs the stack runs; install them when root, else name them."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from kitcore.paths import KIT_ROOT
from stack.errors import StackError
from stack.proc import run

PG_BIN = Path("/usr/lib/postgresql/15/bin")
# program -> Debian package providing it
PROGRAMS = {
    "nginx": "nginx",
    "redis-server": "redis-server",
    str(PG_BIN / "postgres"): "postgresql",
    str(PG_BIN / "initdb"): "postgresql",
}


def venv_bin(name: str) -> Path:
    """Return a program installed in the running virtualenv (gunicorn, weed, supervisord)."""
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        raise StackError(f"{name} is not in {path.parent}: run `make install`")
    return path


def missing_packages() -> list[str]:
    """Return the Debian packages whose programs are missing."""
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"  # nginx lives in /usr/sbin
    return sorted({pkg for prog, pkg in PROGRAMS.items() if shutil.which(prog, path=path) is None})


def ensure_system_packages() -> None:
    """Install missing packages with scripts/install-system-deps.sh as root, else fail clearly."""
    missing = missing_packages()
    if not missing:
        return
    if os.geteuid() != 0:
        raise StackError(
            f"missing system packages: {' '.join(missing)} "
            f"(as root: bash scripts/install-system-deps.sh demo)"
        )
    run(["bash", str(KIT_ROOT / "scripts" / "install-system-deps.sh"), "demo"], timeout=1800)
    still = missing_packages()
    if still:
        raise StackError(f"system packages still missing after install: {' '.join(still)}")
