"""One real local stack on this suite's ports (23200-23299), in its own temp state dir."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from stack import LocalStack, StackConfig

REPO = Path(__file__).resolve().parents[2]
PORTS = {
    "KIT_HTTP_PORT": 23280,
    "KIT_HTTPS_PORT": 23281,
    "KIT_PREVIEW_PORT": 23282,
    "KIT_BLUE_PORT": 23201,
    "KIT_GREEN_PORT": 23202,
    "KIT_POSTGRES_PORT": 23210,
    "KIT_REDIS_PORT": 23211,
    "KIT_S3_PORT": 23220,  # SeaweedFS uses 23220-23229
}


def make_config(state_dir: Path, **ports: int) -> StackConfig:
    """Build a config on the test ports (overridable) with state_dir."""
    env = {k: str(v) for k, v in (PORTS | ports).items()} | {"KIT_STATE_DIR": str(state_dir)}
    return StackConfig.from_env(REPO, env)


def temp_state_dir() -> Path:
    """Return a fresh state dir the postgres user and Nginx workers can traverse."""
    root = Path(tempfile.mkdtemp(prefix="kit-stack-test-"))
    root.chmod(0o755)
    return root / "state"


@pytest.fixture(scope="package")
def stack() -> Iterator[LocalStack]:
    """Bring the stack up once for the package; always take it down and remove its state."""
    state = temp_state_dir()
    stack = LocalStack(make_config(state))
    try:
        stack.up()
        yield stack
    finally:
        pids = [p.pid for p in stack.status().processes if p.pid]
        with contextlib.suppress(Exception):
            stack.down()
        for pid in pids:  # only if down failed: our own processes, by pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        shutil.rmtree(state.parent, ignore_errors=True)
