"""The rollout chart: requests/s, p95 latency and failures/s over time, events marked."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display here, and never one in CI
import matplotlib.pyplot as plt

from rollout.outcome import Event
from rollout.verify.timeline import Row, hist, percentile


def chart(path: Path, series: Sequence[tuple[str, Sequence[Row]]], events: Sequence[Event]) -> Path:
    """Draw requests/s, p95 latency and failures/s over time, events as vertical lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(3, 1, sharex=True, figsize=(11, 7.5))
    t0 = min(
        [r["t"] for _, rows in series for r in rows[:1]] + [e.t for e in events] or [time.time()]
    )
    for label, rows in series:
        if not rows:
            continue
        xs = [r["t"] - t0 for r in rows]
        axes[0].plot(xs, [r["n"] for r in rows], label=label)
        axes[1].plot(xs, [percentile(hist(r), 0.95) for r in rows], label=label)
        axes[2].plot(xs, [r["fail"] for r in rows], label=label)
    for ax, title in zip(axes, ("requests/s", "p95 latency (ms)", "failures/s"), strict=True):
        ax.set_ylabel(title)
        ax.grid(alpha=0.3)
        for i, ev in enumerate(events):
            ax.axvline(ev.t - t0, color=f"C{(i % 6) + 3}", linestyle="--", linewidth=1)
    xs_events = [ev.t - t0 for ev in events]
    levels = _label_levels(xs_events, min_gap=0.09 * (max(xs_events, default=0) or 1))
    for i, (ev, x, level) in enumerate(zip(events, xs_events, levels, strict=True)):
        # Above the plot, staggered: events seconds apart (switch, promoted) stay readable.
        axes[0].annotate(
            ev.name, (x, 1.03 + 0.11 * level), xycoords=("data", "axes fraction"),
            fontsize=8, ha="center", va="bottom", color=f"C{(i % 6) + 3}", annotation_clip=False,
        )  # fmt: skip
    if any(rows for _, rows in series):
        axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    # Failures cannot be negative; a flat zero line should read as "none", not as noise.
    axes[2].set_ylim(bottom=0, top=max(1.0, axes[2].get_ylim()[1]))
    axes[2].set_xlabel("seconds since start")
    fig.suptitle("blue-green rollout")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _label_levels(xs: Sequence[float], min_gap: float) -> list[int]:
    """Give each x the lowest label row whose previous label is at least min_gap away."""
    last: list[float] = []
    levels = []
    for x in xs:
        level = next((n for n, prev in enumerate(last) if x - prev >= min_gap), len(last))
        if level == len(last):
            last.append(x)
        last[level] = x
        levels.append(level)
    return levels
