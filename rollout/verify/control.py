"""Judge a failed gate against its control: the same load, right after, on the serving colour.

A gate that fails says the release looks bad *or* something both colours share (database,
Redis, Nginx, the load generator's machine) was bad during the run. The control tells the two
apart: it runs the same gate against the colour that already serves (the active colour before
the switch, the old one after it). The rule, on the measures of the two locust runs:

- the control passed -> FAILED: the serving colour took the same load fine, the release did not;
- either run produced no verdict -> FAILED (candidate) or FAILED (control): nothing to compare,
  so the gate's own verdict stands (a control that cannot run proves nothing);
- both failed -> INCONCLUSIVE only if the candidate is not meaningfully worse:
  its failure ratio <= FAIL_FACTOR x the control's + FAIL_SLACK, and
  its p95 <= LATENCY_FACTOR x the control's + LATENCY_SLACK_MS;
  otherwise FAILED (the release is worse than the colour that serves);
- a release FAILED by the comparison whose failures were one short burst that ended in clean
  load -> INCONCLUSIVE (rollout/verify/burst.py): an outage the serving colour rode out on
  warm state; the retry tells (a release that fails again is refused).
"""

from __future__ import annotations

from rollout.verify.burst import ended_burst
from rollout.verify.gates import GateConfig
from rollout.verify.loadrun import LoadResult
from rollout.verify.verdict import Status, Verdict

# Twice the control's failures (+1 point) still counts as "as bad": failures under a shared
# fault are bursty, and the two runs see different moments of it.
FAIL_FACTOR = 2.0
FAIL_SLACK = 0.01
# Latency is noisier than failures; a flat slack keeps tiny p95s (20 vs 35 ms) comparable.
LATENCY_FACTOR = 1.5
LATENCY_SLACK_MS = 25.0


def fail_ratio(result: LoadResult) -> float:
    """Failures per request of a locust run (0 when nothing ran)."""
    n = result.measures.get("num_requests", 0)
    return result.measures.get("num_failures", 0) / n if n else 0.0


def describe(result: LoadResult) -> str:
    """One line of a run's figures, for verdict reasons."""
    m = result.measures
    return (
        f"{int(m.get('num_failures', 0))}/{int(m.get('num_requests', 0))} failed "
        f"({fail_ratio(result):.4f}), p95 {m.get('p95_ms', 0):.0f} ms"
    )


def judge(candidate: LoadResult, control: LoadResult, cfg: GateConfig | None = None) -> Verdict:
    """Compare a gate run with its control run; inconclusive when both are as bad.

    With the gate's config, a failure that was one burst which ended is inconclusive too.
    """
    verdict = compare(candidate, control)
    burst = ended_burst(candidate, cfg) if cfg and verdict.status is Status.FAILED else None
    if burst is None or candidate.no_verdict or control.no_verdict:
        return verdict
    return Verdict(
        verdict.check, Status.INCONCLUSIVE, f"inconclusive: a burst that ended ({burst})",
        [*verdict.reasons, f"{verdict.summary}, but {burst}"],
    )  # fmt: skip


def compare(candidate: LoadResult, control: LoadResult) -> Verdict:
    """The rule on the two runs' measures alone (no timeline)."""
    check = f"gate {candidate.gate}"
    if candidate.passed:
        return Verdict(check, Status.PASSED, "passed")
    own = list(candidate.reasons)
    if candidate.no_verdict:
        return Verdict(check, Status.FAILED, "the gate produced no verdict", own)
    if control.no_verdict:
        why = f"control produced no verdict ({'; '.join(control.reasons)[:200]})"
        return Verdict(check, Status.FAILED, why, [*own, why])
    if control.passed:
        why = f"control on the serving colour passed ({describe(control)})"
        return Verdict(check, Status.FAILED, f"worse than the serving colour: {why}", [*own, why])
    worse = []
    if fail_ratio(candidate) > FAIL_FACTOR * fail_ratio(control) + FAIL_SLACK:
        worse.append(
            f"failure ratio {fail_ratio(candidate):.4f} above {FAIL_FACTOR:g}x the "
            f"control's {fail_ratio(control):.4f}"
        )
    p95, ctl_p95 = candidate.measures.get("p95_ms", 0), control.measures.get("p95_ms", 0)
    if p95 > LATENCY_FACTOR * ctl_p95 + LATENCY_SLACK_MS:
        worse.append(f"p95 {p95:.0f} ms above {LATENCY_FACTOR:g}x the control's {ctl_p95:.0f} ms")
    if worse:
        return Verdict(check, Status.FAILED, "worse than the serving colour", [*own, *worse])
    summary = (
        f"inconclusive: the control on the serving colour failed as badly "
        f"(candidate {describe(candidate)}; control {describe(control)})"
    )
    return Verdict(check, Status.INCONCLUSIVE, summary, own)
