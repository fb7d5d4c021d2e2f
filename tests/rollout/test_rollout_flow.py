"""The flow's decisions on a fake target: order of steps, refusals, switch back, interruption."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from kitcore.release import Release
from rollout.errors import RolloutLocked
from rollout.exitcodes import Exit
from rollout.state import FAILED, PROMOTED, RolloutRecord, State
from rollout.status import status
from rollout.store import FileStore
from tests.rollout.fakes import FakeGates as Gates
from tests.rollout.fakes import FakeTarget
from tests.rollout.fakes import run_rollout as run

DROP = 'def upgrade():\n    op.drop_column("items", "body")\n'
V2 = Release("v2", Path("/releases/v2"))


def rec_of(state: State) -> RolloutRecord:
    return state.history[-1]


def test_promotion_runs_every_step_in_order(tmp_path: Path, gates: Gates) -> None:
    target = FakeTarget()
    outcome, store = run(tmp_path, target)
    assert outcome.code == Exit.PROMOTED
    assert target.calls == [
        "ready",
        "start:green",
        "verify:green",
        "switch:green",
        "observe:green",
        "stop:blue",
    ]
    assert gates.ran == [("pre_switch", "https://preview.invalid"),
                         ("post_switch", "https://public.invalid")]  # fmt: skip
    state = store.load()
    assert state.active == "green"
    assert (state.colours["green"].version, state.colours["green"].standing) == ("v2", PROMOTED)
    assert (rec_of(state).source_dir, rec_of(state).kind) == (str(tmp_path), "deploy")
    assert state.current is None
    rec = state.history[-1]
    assert (rec.outcome, rec.exit_code) == ("promoted", 0)
    assert [p for p, _ in rec.phases] == [
        "deploy", "migrate", "verify", "gate", "switch", "post_switch", "stop_old"
    ]  # fmt: skip
    summary = (outcome.report_dir / "summary.txt").read_text()
    assert "PROMOTED" in summary
    assert "time from deploy to promotion" in summary
    assert (outcome.report_dir / "chart.png").stat().st_size > 10_000


def test_failing_gate_blocks_the_switch(tmp_path: Path, gates: Gates) -> None:
    gates.failing.add("pre_switch")
    target = FakeTarget()
    outcome, store = run(tmp_path, target)
    assert outcome.code == Exit.GATE_FAILED
    assert not [c for c in target.calls if c.startswith("switch")]
    assert target.active == "blue"
    assert "stop:green" in target.calls  # the failed colour is not left running
    assert store.load().active == "blue"
    assert store.load().standing("green") == FAILED  # never a rollback target
    assert "p95 900 ms above 300 ms" in (outcome.report_dir / "summary.txt").read_text()


def test_failing_post_switch_verification_switches_back(tmp_path: Path, gates: Gates) -> None:
    gates.failing.add("post_switch")
    target = FakeTarget()
    outcome, store = run(tmp_path, target)
    assert outcome.code == Exit.ROLLED_BACK
    assert target.calls[-4:] == ["switch:green", "observe:green", "switch:blue", "stop:green"]
    assert target.active == "blue"
    assert store.load().active == "blue"
    assert store.load().history[-1].outcome == "rolled_back"


def test_failed_switch_back_is_its_own_exit_code(tmp_path: Path, gates: Gates) -> None:
    gates.failing.add("post_switch")
    target = FakeTarget(fail={"switch:blue"})
    outcome, _ = run(tmp_path, target)
    assert outcome.code == Exit.ROLLBACK_FAILED


def test_failing_checks_stop_before_the_gate(tmp_path: Path, gates: Gates) -> None:
    target = FakeTarget(fail={"verify"})
    outcome, _ = run(tmp_path, target)
    assert outcome.code == Exit.VERIFY_FAILED
    assert "nothing listens" in outcome.reason
    assert gates.ran == []


def test_deploy_failure(tmp_path: Path, gates: Gates) -> None:
    outcome, _ = run(tmp_path, FakeTarget(fail={"start:green"}))
    assert outcome.code == Exit.DEPLOY_FAILED


def test_contracting_migration_is_refused_unless_forced(tmp_path: Path, gates: Gates) -> None:
    script = tmp_path / "0002_drop.py"
    script.write_text(DROP)
    target = FakeTarget(pending=[script])
    outcome, _ = run(tmp_path, target)
    assert outcome.code == Exit.MIGRATION_REFUSED
    assert "migrate" not in target.calls
    target = FakeTarget(pending=[script])
    outcome, store = run(tmp_path, target, force_migration=True)
    assert outcome.code == Exit.PROMOTED
    assert "migrate" in target.calls
    assert store.load().history[-1].outcome == "promoted"


def test_ctrl_c_after_the_switch_puts_traffic_back(tmp_path: Path, gates: Gates) -> None:
    gates.interrupt = "post_switch"
    target = FakeTarget()
    outcome, store = run(tmp_path, target)
    assert outcome.code == Exit.INTERRUPTED
    assert target.active == "blue"
    rec = store.load().history[-1]
    assert (rec.outcome, rec.phase) == ("interrupted", "post_switch")


def test_ctrl_c_during_the_switch_reads_where_traffic_is(tmp_path: Path, gates: Gates) -> None:
    target = FakeTarget(interrupt="switch:green")
    outcome, _ = run(tmp_path, target)
    assert outcome.code == Exit.INTERRUPTED
    assert target.active == "blue"  # the switch never happened: nothing to undo, no switch back
    assert "switch:blue" not in target.calls


def test_crashed_rollout_is_reported_and_closed_by_the_next(tmp_path: Path, gates: Gates) -> None:
    store = FileStore(tmp_path / "state" / "rollout.json")
    # What a SIGKILLed rollout leaves: a 'running' record at its last phase, no lock held.
    dead = RolloutRecord("dead1", "v2", "blue", "green", 1.0, pid=999_999, phase="gate")
    store.save(State(active="blue", current=dead))
    console = Console(record=True, width=200)
    assert status(FakeTarget(), store, console) == Exit.PROMOTED
    text = console.export_text()
    assert "rollout dead1 of v2 was interrupted during 'gate'" in text
    assert "blue (active)" in text
    target = FakeTarget(running_releases={"blue": Release("v1", tmp_path), "green": V2})
    outcome, store = run(tmp_path, target)
    assert outcome.code == Exit.PROMOTED
    first = store.load().history[0]
    assert (first.id, first.outcome) == ("dead1", "interrupted")
    assert "died during gate; traffic never left blue; green stopped" in first.reason
    assert target.calls[:2] == ["ready", "stop:green"]  # settled before anything else


def test_second_rollout_is_refused(tmp_path: Path, gates: Gates) -> None:
    store = FileStore(tmp_path / "state" / "rollout.json")
    with store.lock("deploy v1"), pytest.raises(RolloutLocked, match="another rollout"):
        run(tmp_path, FakeTarget())
