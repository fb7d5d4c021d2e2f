"""One real local stack per test module (ports 24100-24699), stopped by pid at the end."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from rollout.verify.verdict import Verdict
from tests.rollout.fakes import FakeGates
from tests.support.contract import REFERENCE
from tests.support.fakecluster.cluster import FakeCluster
from tests.support.kubectl import KUBECTL

REPO_ROOT = Path(__file__).resolve().parents[2]
PORTS = {
    "KIT_HTTP_PORT": "24180",
    "KIT_HTTPS_PORT": "24543",
    "KIT_PREVIEW_PORT": "24544",
    "KIT_BLUE_PORT": "24101",
    "KIT_GREEN_PORT": "24102",
    "KIT_POSTGRES_PORT": "24532",
    "KIT_REDIS_PORT": "24579",
    "KIT_S3_PORT": "24600",
}


@dataclass
class Live:
    """A running stack with the rollout pieces wired to it."""

    stack: object
    target: object
    state_dir: Path


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    """Start a private stack; fail (never skip) when it cannot start."""
    from rollout.targets.local import LocalTarget
    from stack import LocalStack, StackConfig, StackError

    # Not under pytest's 0700 tmp: Nginx workers run as nobody and must reach the state dir.
    base = Path(tempfile.mkdtemp(prefix="rollout-live-"))
    base.chmod(0o755)
    mp = pytest.MonkeyPatch()
    for key, value in {**PORTS, "KIT_STATE_DIR": str(base / "state")}.items():
        mp.setenv(key, value)
    stack = LocalStack(StackConfig.from_env(REPO_ROOT))
    try:
        try:
            stack.up()
            stack.seed()
        except StackError as exc:
            pytest.fail(f"the local stack did not start: {exc}")
        yield Live(stack, LocalTarget(stack.contract, stack), base / "state")
    finally:
        stack.down()
        mp.undo()
        shutil.rmtree(base, ignore_errors=True)
        assert "KIT_STATE_DIR" not in os.environ or os.environ["KIT_STATE_DIR"] != str(base)


@pytest.fixture
def gates(monkeypatch: pytest.MonkeyPatch) -> FakeGates:
    """Replace locust and the public smoke checks in the flow with stand-ins."""
    fake = FakeGates()
    monkeypatch.setattr("rollout.verify.loadrun.run_gate", fake)
    monkeypatch.setattr("rollout.flow.smoke", lambda *a, **k: Verdict.of("smoke", []))
    return fake


SEEDED = "registry.example/flask-kit@sha256:" + "00" * 32  # v0, serving when a test starts
HEADS = list(ScriptDirectory(str(REFERENCE.root / "app" / "migrations")).get_heads())


@pytest.fixture
def fake_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCluster:
    """A fake cluster (tests/support/fakecluster), kubectl first on PATH, v0 serving on blue."""
    cluster = FakeCluster(tmp_path / "cluster", REFERENCE)
    for key, value in cluster.install(KUBECTL).items():
        monkeypatch.setenv(key, value)
    cluster.seed(SEEDED, "v0", HEADS)
    return cluster
