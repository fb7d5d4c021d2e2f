"""The control rule on measures: inconclusive only when the serving colour failed as badly."""

from __future__ import annotations

import pytest

from rollout.verify.control import judge
from rollout.verify.gates import GateConfig, GateConfigError
from rollout.verify.loadrun import LoadResult
from rollout.verify.verdict import Status


def run(gate: str, failures: int, p95: float, passed: bool = False, n: int = 1000) -> LoadResult:
    measures = {"num_requests": n, "num_failures": failures, "p95_ms": p95, "p99_ms": p95}
    return LoadResult(gate, passed, [] if passed else ["thresholds"], measures)


def test_control_failing_as_badly_is_inconclusive() -> None:
    verdict = judge(run("pre_switch", 3, 120), run("pre_switch_control", 2, 110))
    assert verdict.status is Status.INCONCLUSIVE
    assert "control on the serving colour failed as badly" in verdict.summary


def test_a_passing_control_makes_the_failure_the_release_s() -> None:
    verdict = judge(run("pre_switch", 1, 900), run("pre_switch_control", 0, 40, passed=True))
    assert verdict.status is Status.FAILED
    assert "control on the serving colour passed" in verdict.reasons[-1]


def test_more_than_twice_the_control_s_failures_plus_slack_fails() -> None:
    # 2x of 1 % + 1 point = 3 %: 30/1000 is still as bad, 31/1000 is worse.
    assert judge(run("g", 30, 100), run("c", 10, 100)).status is Status.INCONCLUSIVE
    verdict = judge(run("g", 31, 100), run("c", 10, 100))
    assert verdict.status is Status.FAILED
    assert "failure ratio 0.0310 above 2x the control's 0.0100" in verdict.reasons


def test_a_slower_release_than_a_failing_control_fails() -> None:
    # 1.5x of 200 ms + 25 ms = 325 ms.
    assert judge(run("g", 5, 325), run("c", 5, 200)).status is Status.INCONCLUSIVE
    verdict = judge(run("g", 5, 600), run("c", 5, 200))
    assert verdict.status is Status.FAILED
    assert any("p95 600 ms above 1.5x" in r for r in verdict.reasons)


def test_runs_without_a_verdict_are_never_inconclusive() -> None:
    crashed = LoadResult.crashed("c", "locust wrote no verdict", 1)
    assert judge(run("g", 5, 100), crashed).status is Status.FAILED
    assert judge(LoadResult.crashed("g", "boom", 1), run("c", 5, 100)).status is Status.FAILED


def test_a_passed_gate_stays_passed() -> None:
    assert judge(run("g", 0, 40, passed=True), run("c", 9, 900)).status is Status.PASSED


def test_control_mode_is_checked() -> None:
    assert GateConfig("pre_switch").with_overrides({"control": "during"}).control == "during"
    with pytest.raises(GateConfigError, match="control must be one of during, after"):
        GateConfig("pre_switch").with_overrides({"control": "sometimes"})
