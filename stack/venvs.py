"""One virtualenv per dependency set: a release runs on the packages its own lock names.

The venv is keyed by the release's project file, lock file and dependency groups, so releases
with the same lock share one, and a release that adds a dependency gets its own (built from
its lock with uv, reused afterwards). The service's own code is not installed: it runs from
the release dir on PYTHONPATH.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sys
from functools import cache
from pathlib import Path

from kitcore.contract import Contract
from kitcore.paths import KIT_ROOT
from stack.errors import StackError
from stack.proc import run

COMPLETE = ".kit-venv-complete"


def venv_key(release_dir: Path, contract: Contract) -> str:
    """Hash what decides the installed packages: project file, lock file, groups."""
    deps = contract.dependencies
    digest = hashlib.sha256()
    for name in (deps.project, deps.lock):
        path = release_dir / name
        if not path.is_file():
            raise StackError(f"{path} is missing: the release cannot carry its dependencies")
        digest.update(path.read_bytes())
    digest.update(",".join(sorted(deps.groups)).encode())
    return digest.hexdigest()[:16]


@cache
def uv_binary() -> str:
    """Return the pinned uv (scripts/ensure-uv.sh installs it when missing)."""
    found = run(["bash", str(KIT_ROOT / "scripts" / "ensure-uv.sh")], timeout=300).stdout
    return found.strip().splitlines()[-1]


def ensure_venv(release_dir: Path, contract: Contract, venvs_dir: Path) -> Path:
    """Return the venv of the release's lock, building it the first time (under a lock)."""
    venv = venvs_dir / venv_key(release_dir, contract)
    if (venv / COMPLETE).exists():
        return venv
    venvs_dir.mkdir(parents=True, exist_ok=True)
    with open(venvs_dir / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two starts of the same lock build it once
        if (venv / COMPLETE).exists():
            return venv
        shutil.rmtree(venv, ignore_errors=True)  # a half-built one from a killed build
        groups = [arg for g in contract.dependencies.groups for arg in ("--group", g)]
        env = {
            **os.environ,
            "UV_PROJECT_ENVIRONMENT": str(venv),
            # The OS trust store, as apt and git use it (corporate proxies add their CA there).
            "UV_SYSTEM_CERTS": "1",
            "UV_PYTHON_DOWNLOADS": "never",
        }
        run(
            [uv_binary(), "sync", "--frozen", "--no-install-project", "--no-default-groups",
             *groups, "--python", sys.executable, "--project", str(release_dir)],
            env=env, timeout=900,
        )  # fmt: skip
        venv.chmod(0o755)
        (venv / COMPLETE).write_text(str(release_dir) + "\n")
    return venv


def venv_program(venv: Path, program: str) -> str:
    """Return a command's path inside the venv when it is installed there, else as given."""
    candidate = venv / "bin" / program
    return str(candidate) if "/" not in program and candidate.exists() else program
