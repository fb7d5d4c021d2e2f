"""Time windows of a locust timeline: percentiles before, during and after the switch."""

from __future__ import annotations

import time
from pathlib import Path

from rollout.verify.timeline import Row, WindowStats, window


def report_dir(base: Path, version: str, now: float | None = None) -> Path:
    """Return BASE/<UTC timestamp>-<version>/; the rollout creates it under its lock."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now if now is not None else time.time()))
    return base / f"{stamp}-{version}"


# Seconds after the switch still counted as "during" (old workers draining, caches warming).
SWITCH_TAIL_S = 5.0


def phase_windows(
    rows: list[Row], switch_window: tuple[float, float] | None
) -> dict[str, WindowStats]:
    """Load figures before, during and after the switch (empty without rows or a switch)."""
    if not rows or switch_window is None:
        return {}
    start, end = switch_window
    first, last = rows[0]["t"], rows[-1]["t"] + 1
    return {
        "before switch": window(rows, first, int(start)),
        "during switch": window(rows, int(start), end + SWITCH_TAIL_S),
        "after switch": window(rows, end + SWITCH_TAIL_S, last),
        "whole run": window(rows, first, last),
    }
