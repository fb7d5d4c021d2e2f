"""A failure burst that ended: a gate's failures within a few seconds, then clean load.

A shared outage of a few seconds (a database restart) can fail a release's gate while its
control passes: the serving colour rides it out on warm state (its cache, its pooled
connections) that a colour started a minute ago does not have yet. What tells that apart
from a bad release is the shape in time. A bad release keeps failing (or stays slow); an
outage ends, and the release then serves cleanly. So a failed gate whose failures all fall
within `max_burst_s`, followed by at least `clean_tail_s` of load with no failure and a
p95 within the gate's limit, is inconclusive rather than failed: the flow retries it once,
and a release that fails again is refused. `max_burst_s = 0` turns the rule off.
"""

from __future__ import annotations

from rollout.verify.gates import GateConfig
from rollout.verify.loadrun import LoadResult
from rollout.verify.timeline import window

# Fewer clean requests than this after the burst prove nothing about the release.
MIN_CLEAN_REQUESTS = 10


def ended_burst(result: LoadResult, cfg: GateConfig) -> str | None:
    """Describe the run's failures as one burst that ended in clean load, or return None."""
    rows = result.timeline
    failing = [row["t"] for row in rows if row["fail"]]
    if cfg.max_burst_s <= 0 or not failing:
        return None  # a run that failed on latency alone is slow throughout, not a burst
    first, last = min(failing), max(failing)
    span = last - first + 1
    if span > cfg.max_burst_s:
        return None
    end = rows[-1]["t"] + 1
    tail = window(rows, last + 1, end)
    before = window(rows, rows[0]["t"], first)
    if end - (last + 1) < cfg.clean_tail_s or tail.requests < MIN_CLEAN_REQUESTS:
        return None
    if any(w.requests and w.p95_ms > cfg.max_p95_ms for w in (before, tail)):
        return None  # slow outside the burst: the release, not the outage
    burst = window(rows, first, last + 1)
    return (
        f"{burst.failures} of {burst.requests} requests failed within {span} s, then "
        f"{tail.requests} in {end - (last + 1)} s without a failure (p95 {tail.p95_ms:.0f} ms)"
    )
