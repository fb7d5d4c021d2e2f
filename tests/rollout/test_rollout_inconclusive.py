"""A failed gate judged against its control: retry, inconclusive stop, or a worse release."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from rollout.exitcodes import Exit
from rollout.state import CANDIDATE, FAILED, PROMOTED
from rollout.status import status
from tests.rollout.fakes import FakeGates as Gates
from tests.rollout.fakes import FakeTarget
from tests.rollout.fakes import run_rollout as run

SHARED_FAULT = {"pre_switch", "pre_switch_control"}
STILL_FAULTY = SHARED_FAULT | {"pre_switch_retry", "pre_switch_retry_control"}
PREVIEW, PUBLIC = "https://preview.invalid", "https://public.invalid"


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the flow's pauses instead of sleeping through them."""
    pauses: list[float] = []
    monkeypatch.setattr("rollout.gaterun.time.sleep", pauses.append)
    return pauses


def test_inconclusive_gate_waits_retries_and_promotes(
    tmp_path: Path, gates: Gates, slept: list[float]
) -> None:
    gates.failing |= SHARED_FAULT
    target = FakeTarget()
    outcome, store = run(tmp_path, target)
    assert outcome.code == Exit.PROMOTED
    assert target.active == "green"
    assert [name for name, _ in gates.ran] == [
        "pre_switch",
        "pre_switch_control",
        "pre_switch_retry",
        "post_switch",
    ]  # fmt: skip
    assert ("pre_switch_control", PUBLIC) in gates.ran  # the control loads the serving colour
    assert 10.0 in slept  # the reference's local retry_after_s
    assert store.load().standing("green") == PROMOTED
    summary = (outcome.report_dir / "summary.txt").read_text()
    assert "gate pre_switch: INCONCLUSIVE" in summary
    assert "locust pre_switch_control: FAILED" in summary  # the control's measures are kept


def test_a_failure_burst_that_ended_is_retried_though_the_control_passed(
    tmp_path: Path, gates: Gates, slept: list[float]
) -> None:
    gates.failing.add("pre_switch")  # the control on the serving colour passes
    gates.timelines["pre_switch"] = [
        {"t": 1000 + i, "n": 20, "fail": 3 if i in (2, 3) else 0, "rt": {"40": 20}}
        for i in range(8)
    ]  # two seconds of 503s (a database restart), then five clean ones
    target = FakeTarget()
    outcome, _ = run(tmp_path, target)
    assert outcome.code == Exit.PROMOTED
    assert [name for name, _ in gates.ran] == [
        "pre_switch", "pre_switch_control", "pre_switch_retry", "post_switch",
    ]  # fmt: skip
    first = next(v for v in outcome.verdicts if v.check == "gate pre_switch")
    assert "a burst that ended (6 of 40 requests failed within 2 s" in first.summary


def test_failures_throughout_beside_a_passing_control_are_refused(
    tmp_path: Path, gates: Gates, slept: list[float]
) -> None:
    gates.failing.add("pre_switch")
    gates.timelines["pre_switch"] = [
        {"t": 1000 + i, "n": 20, "fail": 1 if i % 3 == 0 else 0, "rt": {"40": 20}} for i in range(9)
    ]
    target = FakeTarget()
    outcome, store = run(tmp_path, target)
    assert outcome.code == Exit.GATE_FAILED
    assert target.active == "blue"
    assert store.load().standing("green") == FAILED


def test_still_inconclusive_stops_with_traffic_untouched_and_release_eligible(
    tmp_path: Path, gates: Gates, slept: list[float]
) -> None:
    gates.failing |= STILL_FAULTY
    target = FakeTarget()
    outcome, store = run(tmp_path, target)
    assert outcome.code == Exit.INCONCLUSIVE == 14
    assert target.active == "blue"
    assert not any(call.startswith("switch:") for call in target.calls)
    state = store.load()
    assert state.active == "blue"
    assert state.standing("green") == CANDIDATE  # not FAILED: it may be deployed again
    assert state.history[-1].outcome == "inconclusive"
    assert state.history[-1].exit_code == 14
    console = Console(record=True, width=200)
    status(target, store, console)
    assert "inconclusive" in console.export_text()

    gates.failing.clear()  # the shared fault is over: the same release goes through
    outcome, store = run(tmp_path, target)
    assert outcome.code == Exit.PROMOTED
    assert target.active == "green"


def test_release_worse_than_its_failing_control_is_refused(
    tmp_path: Path, gates: Gates, slept: list[float]
) -> None:
    gates.failing |= SHARED_FAULT
    # Both fail, but the candidate fails 40 requests in 250 where the serving colour failed 1.
    gates.measures["pre_switch"] = {"num_requests": 250, "num_failures": 40, "p95_ms": 60}
    gates.measures["pre_switch_control"] = {"num_requests": 250, "num_failures": 1, "p95_ms": 60}
    target = FakeTarget()
    outcome, store = run(tmp_path, target)
    assert outcome.code == Exit.GATE_FAILED
    assert "above 2x the control's" in outcome.reason
    assert sorted(name for name, _ in gates.ran) == ["pre_switch", "pre_switch_control"]
    assert slept == []
    assert target.active == "blue"
    assert store.load().standing("green") == FAILED


def test_slow_release_with_a_healthy_control_is_refused(tmp_path: Path, gates: Gates) -> None:
    gates.failing.add("pre_switch")  # p95 900 ms; the control on blue passes at 40 ms
    target = FakeTarget()
    outcome, store = run(tmp_path, target)
    assert outcome.code == Exit.GATE_FAILED
    assert "control on the serving colour passed" in outcome.reason
    assert store.load().standing("green") == FAILED


def test_post_switch_inconclusive_switches_back_without_blaming_the_release(
    tmp_path: Path, gates: Gates, slept: list[float]
) -> None:
    gates.failing |= {"post_switch", "post_switch_control"}
    target = FakeTarget()
    outcome, store = run(tmp_path, target)
    assert outcome.code == Exit.ROLLED_BACK_INCONCLUSIVE == 15
    assert target.active == "blue"  # back on the verified colour all the same
    assert ("post_switch_control", PREVIEW) in gates.ran  # the old colour, via preview
    assert "post_switch_retry" not in [name for name, _ in gates.ran]
    state = store.load()
    assert state.active == "blue"
    assert state.standing("green") == CANDIDATE
    assert state.history[-1].outcome == "inconclusive"


def test_users_seeing_errors_after_the_switch_roll_back(tmp_path: Path, gates: Gates) -> None:
    target = FakeTarget(users_saw=["error budget burning 40x"])
    outcome, store = run(tmp_path, target)
    assert outcome.code == Exit.ROLLED_BACK
    assert "observe error budget burning 40x" in outcome.reason
    assert target.active == "blue"
    assert store.load().standing("green") == FAILED


def test_users_errors_while_the_old_colour_fails_too_are_inconclusive(
    tmp_path: Path, gates: Gates
) -> None:
    gates.failing |= {"post_switch", "post_switch_control"}
    target = FakeTarget(users_saw=["error budget burning 40x"])
    outcome, _ = run(tmp_path, target)
    assert outcome.code == Exit.ROLLED_BACK_INCONCLUSIVE
    assert target.active == "blue"
    assert [o.closed for o in target.observers] == [True]


def test_an_interrupted_verification_stops_its_observer(tmp_path: Path, gates: Gates) -> None:
    gates.interrupt = "post_switch"
    target = FakeTarget()
    outcome, _ = run(tmp_path, target)
    assert outcome.code == Exit.INTERRUPTED
    assert target.active == "blue"
    assert [o.closed for o in target.observers] == [True]


def test_a_control_during_the_gate_runs_beside_it_every_time(
    tmp_path: Path, gates: Gates, slept: list[float]
) -> None:
    during = ("pre_switch.control=during",)
    outcome, _ = run(tmp_path, FakeTarget(), gate_set=during)
    assert outcome.code == Exit.PROMOTED
    assert sorted(gates.ran) == [
        ("post_switch", PUBLIC), ("pre_switch", PREVIEW), ("pre_switch_control", PUBLIC),
    ]  # fmt: skip

    gates.ran.clear()
    gates.failing |= STILL_FAULTY
    outcome, _ = run(tmp_path, FakeTarget(), gate_set=during)
    assert outcome.code == Exit.INCONCLUSIVE
    assert sorted(name for name, _ in gates.ran) == [
        "pre_switch", "pre_switch_control", "pre_switch_retry", "pre_switch_retry_control",
    ]  # fmt: skip


def test_an_interrupted_gate_stops_its_concurrent_control(tmp_path: Path, gates: Gates) -> None:
    gates.interrupt = "pre_switch"
    outcome, _ = run(tmp_path, FakeTarget(), gate_set=("pre_switch.control=during",))
    assert outcome.code == Exit.INTERRUPTED
    assert ("pre_switch_control", PUBLIC) in gates.ran
