"""A failure burst that ended: inconclusive beside a passing control; anything else fails."""

from __future__ import annotations

from typing import Any

from rollout.verify.burst import ended_burst
from rollout.verify.control import judge
from rollout.verify.gates import GateConfig
from rollout.verify.loadrun import LoadResult
from rollout.verify.verdict import Status

CFG = GateConfig("pre_switch", max_p95_ms=300, max_burst_s=5, clean_tail_s=3)
PASSED_CONTROL = LoadResult("pre_switch_control", True, [], {"num_requests": 300})


def second(t: int, n: int = 20, fail: int = 0, ms: int = 40) -> dict[str, Any]:
    return {"t": t, "n": n, "fail": fail, "rt": {str(ms): n}, "colours": {}}


def run(rows: list[dict[str, Any]]) -> LoadResult:
    n, fail = sum(r["n"] for r in rows), sum(r["fail"] for r in rows)
    measures = {"num_requests": n, "num_failures": fail, "p95_ms": 40.0}
    return LoadResult("pre_switch", False, ["failure ratio above 0.0"], measures, timeline=rows)


def restart_then_clean() -> list[dict[str, Any]]:
    """Clean, a 2-second database restart (503s), then clean for 5 s."""
    return [second(100), second(101), second(102, fail=3), second(103, fail=2),
            *(second(t) for t in range(104, 109))]  # fmt: skip


def test_a_burst_that_ended_beside_a_passing_control_is_inconclusive() -> None:
    verdict = judge(run(restart_then_clean()), PASSED_CONTROL, CFG)
    assert verdict.status is Status.INCONCLUSIVE
    assert "5 of 40 requests failed within 2 s, then 100 in 5 s without a failure" in (
        verdict.summary
    )
    assert any("control on the serving colour passed" in r for r in verdict.reasons)


def test_without_the_gate_s_config_the_control_rule_alone_decides() -> None:
    assert judge(run(restart_then_clean()), PASSED_CONTROL).status is Status.FAILED


def test_failures_spread_over_the_run_are_the_release_s() -> None:
    rows = [second(t, fail=1 if t in (100, 104, 106) else 0) for t in range(100, 112)]
    assert ended_burst(run(rows), CFG) is None
    assert judge(run(rows), PASSED_CONTROL, CFG).status is Status.FAILED


def test_a_burst_still_going_when_the_gate_ended_fails() -> None:
    rows = [*(second(t) for t in range(100, 106)), second(106, fail=2), second(107, fail=4)]
    assert judge(run(rows), PASSED_CONTROL, CFG).status is Status.FAILED


def test_a_tail_too_short_or_too_thin_proves_nothing() -> None:
    short = [second(100, fail=3), second(101), second(102)]
    assert ended_burst(run(short), CFG) is None
    thin = [second(100, fail=3), *(second(t, n=1) for t in range(101, 106))]
    assert ended_burst(run(thin), CFG) is None


def test_slow_outside_the_burst_is_the_release_not_the_outage() -> None:
    rows = [second(100, fail=2), *(second(t, ms=900) for t in range(101, 106))]
    assert ended_burst(run(rows), CFG) is None
    slow_before = [*(second(t, ms=900) for t in range(95, 100)), *restart_then_clean()]
    assert ended_burst(run(slow_before), CFG) is None


def test_a_slow_release_without_failures_is_no_burst() -> None:
    rows = [second(t, ms=2500) for t in range(100, 110)]
    assert ended_burst(run(rows), CFG) is None


def test_max_burst_s_zero_turns_the_rule_off() -> None:
    off = GateConfig("pre_switch", max_burst_s=0)
    assert judge(run(restart_then_clean()), PASSED_CONTROL, off).status is Status.FAILED


def test_a_crashed_control_never_makes_a_burst_inconclusive() -> None:
    crashed = LoadResult.crashed("pre_switch_control", "locust wrote no verdict", 1)
    assert judge(run(restart_then_clean()), crashed, CFG).status is Status.FAILED
