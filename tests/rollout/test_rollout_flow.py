"""The flow's decisions on a fake target: order of steps, refusals, switch back, interruption."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from kitcore.release import Release
from rollout.commands import status
from rollout.errors import RolloutLocked
from rollout.exitcodes import Exit
from rollout.flow import Options, Rollout
from rollout.state import RolloutRecord, State, StateStore
from rollout.verify.gates import GateConfig, load_gates
from rollout.verify.loadrun import LoadResult, LoadSpec
from rollout.verify.verdict import Verdict
from tests.rollout.fakes import FakeTarget
from tests.support.contract import REFERENCE, REFERENCE_GATES

DROP = 'def upgrade():\n    op.drop_column("items", "body")\n'


class Gates:
    """Stand-in for run_gate: a verdict per gate name, with a small timeline."""

    def __init__(self) -> None:
        self.failing: set[str] = set()
        self.interrupt: str = ""
        self.ran: list[tuple[str, str]] = []

    def __call__(
        self, cfg: GateConfig, host: str, ca: Path | None, out: Path, env: Any = None, **_: Any
    ) -> LoadResult:
        self.ran.append((cfg.name, host))
        if cfg.name == self.interrupt:
            raise KeyboardInterrupt
        ok = cfg.name not in self.failing
        rows = [{"t": 1000 + i, "n": 50, "fail": 0, "rt": {"5": 45, "40": 5}} for i in range(5)]
        return LoadResult(
            gate=cfg.name, passed=ok, reasons=[] if ok else ["p95 900 ms above 300 ms"],
            measures={"num_requests": 250, "num_failures": 0, "p95_ms": 40, "p99_ms": 40},
            timeline=rows,
        )  # fmt: skip


@pytest.fixture
def gates(monkeypatch: pytest.MonkeyPatch) -> Gates:
    fake = Gates()
    monkeypatch.setattr("rollout.flow.run_gate", fake)
    monkeypatch.setattr("rollout.flow.smoke", lambda *a, **k: Verdict.of("smoke", []))
    return fake


def rec_of(state: State) -> RolloutRecord:
    return state.history[-1]


def run(tmp_path: Path, target: FakeTarget, **opts: Any) -> tuple[Any, StateStore]:
    store = StateStore(tmp_path / "state" / "rollout.json")
    options = Options(
        gates=load_gates(REFERENCE_GATES),
        reports_base=tmp_path,
        load=LoadSpec.of(REFERENCE),
        stop_delay_s=0,
        **opts,
    )
    release = Release("v2", tmp_path)
    report = tmp_path / "report"
    report.mkdir(exist_ok=True)
    outcome = Rollout(target, store, release, options, Console(quiet=True)).run(report)
    return outcome, store


def test_promotion_runs_every_step_in_order(tmp_path: Path, gates: Gates) -> None:
    target = FakeTarget()
    outcome, store = run(tmp_path, target)
    assert outcome.code == Exit.PROMOTED
    assert target.calls == ["ready", "start:green", "verify:green", "switch:green", "stop:blue"]
    assert gates.ran == [("pre_switch", "https://preview.invalid"),
                         ("post_switch", "https://public.invalid")]  # fmt: skip
    state = store.load()
    assert state.active == "green"
    assert state.versions == {"green": "v2", "blue": None}
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
    assert "p95 900 ms above 300 ms" in (outcome.report_dir / "summary.txt").read_text()


def test_failing_post_switch_verification_switches_back(tmp_path: Path, gates: Gates) -> None:
    gates.failing.add("post_switch")
    target = FakeTarget()
    outcome, store = run(tmp_path, target)
    assert outcome.code == Exit.ROLLED_BACK
    assert target.calls[-3:] == ["switch:green", "switch:blue", "stop:green"]
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
    store = StateStore(tmp_path / "state" / "rollout.json")
    # What a SIGKILLed rollout leaves: a 'running' record at its last phase, no lock held.
    dead = RolloutRecord("dead1", "v2", "blue", "green", 1.0, pid=999_999, phase="gate")
    store.save(State(active="blue", current=dead))
    console = Console(record=True, width=200)
    assert status(FakeTarget(), store, console) == Exit.PROMOTED
    text = console.export_text()
    assert "rollout dead1 of v2 was interrupted during 'gate'" in text
    assert "blue (active)" in text
    outcome, store = run(tmp_path, FakeTarget())
    assert outcome.code == Exit.PROMOTED
    first = store.load().history[0]
    assert (first.id, first.outcome) == ("dead1", "interrupted")
    assert "died during gate" in first.reason


def test_second_rollout_is_refused(tmp_path: Path, gates: Gates) -> None:
    store = StateStore(tmp_path / "state" / "rollout.json")
    with store.lock("deploy v1"), pytest.raises(RolloutLocked, match="another rollout"):
        run(tmp_path, FakeTarget())
