"""The second service, rolled out by the kit: todo-api's releases on a real local stack under its
own locust load. Nothing of the reference app is involved: its contract, lock, migrations (plain
Alembic), health routes, headers, port and load are todo-api's own."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests
from rich.console import Console

from kitcore.contract import load_contract
from kitcore.release import Release, materialise
from rollout import commands
from rollout.exitcodes import Exit
from rollout.faults import broken_release
from rollout.flow import Options, Rollout
from rollout.outcome import Outcome
from rollout.report.windows import report_dir
from rollout.targets.local import LocalTarget
from rollout.verify.gates import GateConfig, resolve_gates
from rollout.verify.loadrun import LoadSpec, LocustRun
from stack import LocalStack, StackConfig

pytestmark = pytest.mark.slow
TODO = load_contract(Path(__file__).resolve().parents[2] / "examples" / "todo" / "kit.toml")
PORTS = {
    "KIT_HTTP_PORT": "25780", "KIT_HTTPS_PORT": "25743", "KIT_PREVIEW_PORT": "25744",
    "KIT_BLUE_PORT": "25701", "KIT_GREEN_PORT": "25702", "KIT_POSTGRES_PORT": "25732",
    "KIT_REDIS_PORT": "25779", "KIT_S3_PORT": "25790",
}  # fmt: skip
QUICK = [
    "pre_switch.duration_s=8", "pre_switch.min_requests=150",
    "post_switch.duration_s=6", "post_switch.min_requests=100",
    "pre_switch.max_p95_ms=1000", "pre_switch.max_p99_ms=2500",
    "post_switch.max_p95_ms=1000", "post_switch.max_p99_ms=2500",
]  # fmt: skip
BACKGROUND = GateConfig(
    name="background", users=5, spawn_rate=5, duration_s=300, min_requests=1,
    max_fail_ratio=0.0, max_p95_ms=10_000, max_p99_ms=10_000,
)  # fmt: skip


@dataclass
class TodoStack:
    """todo-api's running stack and the rollout's view of it."""

    stack: LocalStack
    target: LocalTarget
    state: Path


@pytest.fixture(scope="module")
def todo() -> Iterator[TodoStack]:
    base = Path(tempfile.mkdtemp(prefix="todo-live-"))
    base.chmod(0o755)  # Nginx workers run as nobody and must reach the state dir
    mp = pytest.MonkeyPatch()
    for key, value in {**PORTS, "KIT_STATE_DIR": str(base / "state")}.items():
        mp.setenv(key, value)
    stack = LocalStack(StackConfig.from_env(TODO.root), TODO)
    try:
        stack.up()
        yield TodoStack(stack, LocalTarget(TODO, stack), base / "state")
    finally:
        stack.down()
        mp.undo()
        shutil.rmtree(base, ignore_errors=True)


def release(todo: TodoStack, version: str) -> Release:
    return Release(version, materialise(TODO.root, todo.state / "releases", version))


def deploy(todo: TodoStack, rel: Release) -> Outcome:
    opts = Options(
        resolve_gates(TODO.path(TODO.gate.thresholds), QUICK), todo.state, LoadSpec.of(TODO),
        stop_delay_s=2,
    )  # fmt: skip
    rollout = Rollout(todo.target, todo.target.store(), rel, opts, Console(quiet=True))
    return rollout.run(report_dir(todo.state / "reports", rel.version))


def serving(todo: TodoStack) -> str:
    """The release todo-api's public route answers with (its own field, `release`)."""
    url = f"{todo.stack.public_url}{TODO.health.identity}"
    answer = requests.get(url, verify=str(todo.stack.ca_cert_path), timeout=5).json()
    return str(answer[TODO.health.version_field])


def test_todo_api_releases_promote_fail_and_roll_back_under_its_own_load(
    todo: TodoStack, tmp_path: Path
) -> None:
    load = LocustRun(
        BACKGROUND, todo.stack.public_url, todo.stack.ca_cert_path, tmp_path, load=LoadSpec.of(TODO)
    )
    load.start()
    try:
        first = deploy(todo, release(todo, "todo-v1"))
        second = deploy(todo, release(todo, "todo-v2"))
        good = release(todo, "todo-v3")
        # Answers, but every request takes 1.5 s: passes its smoke checks, not its gate.
        bad = broken_release(TODO, good.source_dir, todo.state / "releases" / "todo-slow",
                             delay_s=1.5)  # fmt: skip
        refused = deploy(todo, Release("todo-bad", bad))
    finally:
        background = load.stop()
    assert (first.code, second.code) == (Exit.PROMOTED, Exit.PROMOTED), (
        first.reason,
        second.reason,
    )
    assert refused.code == Exit.GATE_FAILED, refused.reason
    assert "p95" in refused.reason
    assert serving(todo) == "todo-v2"
    # Zero failed requests of todo-api's own users across two switches and a refused release.
    assert background.measures["num_requests"] > 200
    assert background.measures["num_failures"] == 0, background.errors
    # Every todo a client was told was created is in todo-api's own database.
    created = [int(i) for i in background.created_ids]
    assert created
    url = todo.stack.app_env()["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM todos WHERE id = ANY(%s)", (created,)).fetchone()
    assert row is not None
    assert row[0] == len(set(created))

    # Rollback means todo-api's last good release, never the refused one.
    assert commands.rollback(todo.target, todo.target.store(), Console(quiet=True)) == Exit.PROMOTED
    assert serving(todo) == "todo-v1"
    assert os.environ["KIT_STATE_DIR"] == str(todo.state)
