"""Blue-green on a real local stack under locust load: zero failures, nothing lost, and the
negative cases (killed colour, failing gate, failing post-switch check) really detected."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from rich.console import Console

from kitcore.release import Release, materialise
from rollout.commands import rollback
from rollout.exitcodes import Exit
from rollout.faults import broken_release
from rollout.flow import Options, Rollout
from rollout.outcome import Outcome
from rollout.report.windows import report_dir
from rollout.state import FAILED
from rollout.status import status
from rollout.store import FileStore
from rollout.targets.local import LocalTarget
from rollout.verify.gates import GateConfig, resolve_gates
from rollout.verify.load_account import load_user_env
from rollout.verify.loadrun import LoadResult, LoadSpec, LocustRun
from tests.rollout.conftest import REPO_ROOT, Live
from tests.support.contract import REFERENCE, REFERENCE_GATES

pytestmark = pytest.mark.slow
LOAD = LoadSpec.of(REFERENCE)

# Short gates keep the module to a couple of minutes; latency bounds are loose because the
# load generator, Nginx and both colours share two cores with whatever else runs.
QUICK = [
    "pre_switch.duration_s=8", "pre_switch.min_requests=150",
    "pre_switch.max_p95_ms=1000", "pre_switch.max_p99_ms=2500",
    "post_switch.duration_s=6", "post_switch.min_requests=100",
    "post_switch.max_p95_ms=1000", "post_switch.max_p99_ms=2500",
]  # fmt: skip
BACKGROUND = GateConfig(
    name="background", users=10, spawn_rate=10, duration_s=240, min_requests=1,
    max_fail_ratio=0.0, max_p95_ms=10_000, max_p99_ms=10_000,
)  # fmt: skip


def deploy(live: Live, release: Release, target: Any = None) -> Outcome:
    """Run the whole flow in-process on the live stack."""
    opts = Options(
        resolve_gates(REFERENCE_GATES, QUICK), live.state_dir, LOAD, stop_delay_s=2,
        load_env=load_user_env(live.state_dir),
    )  # fmt: skip
    store = FileStore(live.state_dir / "rollout.json")
    rollout = Rollout(target or live.target, store, release, opts, Console(quiet=True))
    return rollout.run(report_dir(live.state_dir / "reports", release.version))


def new_release(live: Live, version: str) -> Release:
    return Release(version, materialise(REPO_ROOT, live.state_dir / "releases", version))


def background(live: Live, out: Path) -> LocustRun:
    stack: Any = live.stack
    env = load_user_env(live.state_dir)
    run = LocustRun(BACKGROUND, stack.public_url, stack.ca_cert_path, out, env, load=LOAD)
    run.start()
    time.sleep(3)
    assert run.running()
    return run


def rows_in_db(live: Live, ids: list[str]) -> int:
    """Count how many of the acknowledged item ids have their row."""
    url = live.stack.app_env()["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")  # type: ignore[attr-defined]
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM items WHERE id = ANY(%s)", ([int(i) for i in ids],)
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_blue_green_and_back_under_load(live: Live, tmp_path: Path) -> None:
    start = live.stack.active_colour()  # type: ignore[attr-defined]
    load = background(live, tmp_path)
    first = deploy(live, new_release(live, "live-v2"))
    second = deploy(live, new_release(live, "live-v3"))
    result: LoadResult = load.stop()

    assert (first.code, second.code) == (Exit.PROMOTED, Exit.PROMOTED), (
        first.reason,
        second.reason,
    )
    assert live.stack.active_colour() == start  # type: ignore[attr-defined]
    # Zero downtime: both switches and both stops of the old colour under load, not one failure
    # but one kind. A write sent on a pooled keep-alive connection just as the reload at a
    # switch retired it gets no answer (HTTPConnectionClosed): the client resends reads then
    # (geventhttpclient, RFC 9110 9.2.2), never a write, which might have been processed.
    # At most one such write, and nothing else (rollout/README.md "Soak").
    closed = [e for e in result.errors if "HTTPConnectionClosed" in e["error"]]
    assert result.measures["num_failures"] == sum(int(e["occurrences"]) for e in closed) <= 1, (
        result.errors
    )
    assert all(e["method"] in ("POST", "PATCH") for e in closed), result.errors
    assert result.measures["num_requests"] >= 2000
    seen = {c for row in result.timeline for c in row["colours"]}
    assert seen == {"blue", "green"}
    # Nothing lost: every 201 any client saw (background and gates) has its row.
    created = [*result.created_ids]
    for outcome in (first, second):
        for gate in outcome.loads.values():
            created += gate.created_ids
    assert len(created) > 100
    assert rows_in_db(live, created) == len(set(created))
    # What users of the new colour saw after each switch was read from Nginx's log and judged.
    for outcome in (first, second):
        users = next(v for v in outcome.verdicts if v.check == "observe")
        assert users.passed, users.summary
        assert users.summary.startswith(outcome.record.to_colour), users.summary  # judged
    summary = (second.report_dir / "summary.txt").read_text()
    assert "PROMOTED" in summary
    assert (second.report_dir / "chart.png").exists()
    assert (second.report_dir / "locust-pre_switch.html").exists()
    assert (second.report_dir / "testinfra-junit.xml").exists()


def test_rollback_restarts_the_previous_version(live: Live) -> None:
    stack: Any = live.stack
    store = FileStore(live.state_dir / "rollout.json")
    before = stack.active_colour()
    code = rollback(live.target, store, Console(quiet=True))  # type: ignore[arg-type]
    assert code == Exit.PROMOTED
    assert stack.active_colour() != before
    assert stack.status().colours[stack.active_colour()].version == "live-v2"


def test_failing_gate_blocks_the_switch(live: Live) -> None:
    active = live.stack.active_colour()  # type: ignore[attr-defined]
    good = new_release(live, "live-v4")
    slow = broken_release(
        REFERENCE, good.source_dir, live.state_dir / "releases" / "live-slow", delay_s=1.5
    )
    outcome = deploy(live, Release("live-slow", slow))
    assert outcome.code == Exit.GATE_FAILED
    assert "p95" in outcome.reason
    assert live.stack.active_colour() == active  # type: ignore[attr-defined]
    assert "pre-switch gate failed" in (outcome.report_dir / "summary.txt").read_text()


def test_rollback_after_a_refused_release_goes_to_the_last_good_one(live: Live) -> None:
    """The same semantics as on a cluster: the last promoted release, never the refused one."""
    stack: Any = live.stack
    store = live.target.store()  # type: ignore[attr-defined]
    refused = store.load().history[-1]
    assert (refused.version, refused.outcome) == ("live-slow", "failed")
    assert store.load().standing(refused.to_colour) == FAILED
    code = rollback(live.target, store, Console(quiet=True))  # type: ignore[arg-type]
    assert code == Exit.PROMOTED
    answered = stack.status().colours[stack.active_colour()].version
    assert answered == "live-v3"  # promoted before the rollback to live-v2; never live-slow


class ArmingTarget(LocalTarget):
    """The real local target; arms the release's fault right after a switch to the new colour."""

    def __init__(self, live: Live, trigger: Path, colour: str) -> None:
        super().__init__(REFERENCE, live.stack)  # type: ignore[arg-type]
        self.trigger, self.colour = trigger, colour

    def switch(self, colour: str) -> None:
        super().switch(colour)
        if colour == self.colour:
            self.trigger.touch()


def test_failing_post_switch_check_switches_back(live: Live, tmp_path: Path) -> None:
    active = live.stack.active_colour()  # type: ignore[attr-defined]
    idle = "green" if active == "blue" else "blue"
    trigger = tmp_path / "arm"
    good = new_release(live, "live-v5")
    bad = broken_release(
        REFERENCE, good.source_dir, live.state_dir / "releases" / "live-late", fault="error",
        trigger=trigger,
    )  # fmt: skip
    outcome = deploy(live, Release("live-late", bad), ArmingTarget(live, trigger, idle))
    assert outcome.code == Exit.ROLLED_BACK, outcome.reason
    assert outcome.loads["pre_switch"].passed
    assert not outcome.loads["post_switch"].passed
    assert outcome.loads["post_switch_control"].passed  # the old colour, via preview, is fine
    users = next(v for v in outcome.verdicts if v.check == "observe")
    assert not users.passed
    assert "error budget burning" in users.reasons[0], users.summary
    assert live.stack.active_colour() == active  # type: ignore[attr-defined]
    assert [e.name for e in outcome.events][-1] == "switched back"


def test_ctrl_c_after_the_switch_leaves_traffic_on_the_old_colour(live: Live) -> None:
    """A real `rollout deploy` interrupted (SIGINT) after its switch: it switches back."""
    stack: Any = live.stack
    before = stack.active_colour()
    release = new_release(live, "live-int")
    store = FileStore(live.state_dir / "rollout.json")
    cmd = [
        sys.executable, "-m", "rollout.cli", "deploy", "--release-dir", str(release.source_dir),
        "--version", "live-int", "--reports", str(live.state_dir / "reports"), *(
            arg for item in QUICK for arg in ("--gate-set", item)
        ),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            current = store.load().current
            if current is not None and current.phase == "post_switch":
                break
            time.sleep(0.2)
        else:
            pytest.fail("the rollout never reached post_switch")
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == Exit.INTERRUPTED, out
    assert stack.active_colour() == before
    last = store.load().history[-1]
    assert (last.outcome, last.phase) == ("interrupted", "post_switch")
    console = Console(record=True, width=200)
    status(live.target, store, console)  # type: ignore[arg-type]
    assert "interrupted" in console.export_text()


def test_killing_the_active_colour_is_seen(live: Live, tmp_path: Path) -> None:
    """Stopping the serving colour without a switch fails requests: the zero means something."""
    active = live.stack.active_colour()  # type: ignore[attr-defined]
    procs = {p.name: p.pid for p in live.stack.status().processes}  # type: ignore[attr-defined]
    load = background(live, tmp_path)
    os.kill(procs[f"web-{active}"], signal.SIGTERM)
    time.sleep(4)
    result = load.stop()
    assert result.measures["num_failures"] > 0
    # The stack is stopped by the module fixture right after this last test.
