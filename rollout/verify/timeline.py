"""A locust run's per-second timeline (loadtests/gate.py), aggregated over time windows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]


def percentile(hist: Counter[int], q: float) -> float:
    """Return the q-quantile of a {milliseconds: count} histogram (0 when empty)."""
    total = sum(hist.values())
    if not total:
        return 0.0
    rank = max(1, round(q * total + 0.5 - 1e-9))
    seen = 0
    for ms in sorted(hist):
        seen += hist[ms]
        if seen >= rank:
            return float(ms)
    return float(max(hist))


def hist(row: Row) -> Counter[int]:
    """Return a timeline row's response-time histogram with integer keys."""
    return Counter({int(float(k)): v for k, v in row["rt"].items()})


@dataclass(frozen=True)
class WindowStats:
    """Requests, failures and latency percentiles over a time window of a timeline."""

    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    def line(self, label: str) -> str:
        """Format as one aligned summary line."""
        return (
            f"{label:<16} {self.requests:>8} req {self.failures:>6} failed   "
            f"p50 {self.p50_ms:>6.0f} ms  p95 {self.p95_ms:>6.0f} ms  p99 {self.p99_ms:>6.0f} ms"
        )


def window(rows: Iterable[Row], start: float, end: float) -> WindowStats:
    """Aggregate the timeline rows whose second lies in [start, end)."""
    times: Counter[int] = Counter()
    n = fail = 0
    for row in rows:
        if start <= row["t"] < end:
            n += row["n"]
            fail += row["fail"]
            times.update(hist(row))
    return WindowStats(
        n, fail, percentile(times, 0.5), percentile(times, 0.95), percentile(times, 0.99)
    )
