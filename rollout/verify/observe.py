"""Judge what users of a colour saw after the switch: error ratio, p99 and burn rates.

The post_switch gate's load is synthetic; this reads the real requests the colour answered over
the verification window (from the switch to the end of the post_switch gate): Nginx's access
log on the local stack (access_log.py), the app's Prometheus series on a cluster
(rollout/kube/metrics.py). Both reduce to a long window (the whole verification) and a short
one (its last `short_window_s`), judged here:

- errors are 5xx answers; error budget = 1 - slo_target; burn rate = error ratio / budget.
  Multi-window rule (Google SRE workbook, "alerting on SLOs"): fail only if BOTH windows burn
  faster than max_burn_rate. The workbook pages at 14.4x over 1 h and 5 min (2 % of a 30-day
  budget in an hour, still burning now); a verification lasts seconds to minutes, so the long
  window is the verification and the short one about 1/12 of it, the workbook's ratio.
- latency: the long window's p99 of upstream time above observe_max_p99_ms fails.
- fewer than observe_min_requests requests: not judged (passes, says so); the gate still is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rollout.verify.gates import GateConfig
from rollout.verify.verdict import Status, Verdict


@dataclass(frozen=True)
class Window:
    """Requests one colour answered in a time window, how many failed (5xx), their p99."""

    requests: int
    errors: int
    p99_ms: float

    @property
    def error_ratio(self) -> float:
        """5xx answers per request (0 when nothing ran)."""
        return self.errors / self.requests if self.requests else 0.0


class Observer(Protocol):
    """Watches one colour from the switch on; judges the window so far when asked."""

    def verdict(self, cfg: GateConfig) -> Verdict:
        """Judge what the colour's users saw since the observer started."""

    def close(self) -> None:
        """Stop watching (whether or not a verdict was asked for)."""


@dataclass
class FixedObserver:
    """An observer with nothing to watch (a target without a user-facing signal)."""

    why: str = "no user-facing signal on this target"

    def verdict(self, cfg: GateConfig) -> Verdict:
        """Pass, saying nothing was judged."""
        return Verdict("observe", Status.PASSED, f"not judged: {self.why}")

    def close(self) -> None:
        """Nothing to stop."""


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, nearest rank (0 when empty)."""
    if not values:
        return 0.0
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, int(q * len(ranked) + 0.999999) - 1))]


def burn_rate(window: Window, slo_target: float) -> float:
    """How many times faster than the SLO allows the window spent its error budget."""
    budget = 1.0 - slo_target
    if budget <= 0:
        return float("inf") if window.errors else 0.0
    return window.error_ratio / budget


def judge(cfg: GateConfig, colour: str, long: Window, short: Window) -> Verdict:
    """Apply the burn-rate pair and the p99 threshold to the two windows."""
    burn_long, burn_short = burn_rate(long, cfg.slo_target), burn_rate(short, cfg.slo_target)
    summary = (
        f"{colour}: {long.requests} requests, {long.errors} 5xx "
        f"(ratio {long.error_ratio:.4f}), p99 {long.p99_ms:.0f} ms, "
        f"burn {burn_long:.1f}x (last {cfg.short_window_s:g}s {burn_short:.1f}x)"
    )
    if long.requests < cfg.observe_min_requests:
        why = f"only {long.requests} requests (minimum {cfg.observe_min_requests})"
        return Verdict("observe", Status.PASSED, f"not judged: {why}; {summary}")
    reasons = []
    if burn_long > cfg.max_burn_rate and burn_short > cfg.max_burn_rate:
        reasons.append(
            f"error budget burning {burn_long:.1f}x over the window and {burn_short:.1f}x over "
            f"its last {cfg.short_window_s:g}s (limit {cfg.max_burn_rate:g}x of "
            f"slo {cfg.slo_target:g})"
        )
    if long.p99_ms > cfg.observe_max_p99_ms:
        reasons.append(f"p99 {long.p99_ms:.0f} ms above {cfg.observe_max_p99_ms:.0f} ms")
    verdict = Verdict.of("observe", reasons, summary)
    verdict.summary = summary
    return verdict
