"""The report of a rollout: text summary, locust HTML, testinfra results and a timeline chart."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display here, and never one in CI
import matplotlib.pyplot as plt

Row = dict[str, Any]


@dataclass(frozen=True)
class Event:
    """A moment of the rollout worth marking on the chart (deploy, gate, switch, stop...)."""

    name: str
    t: float


def report_dir(base: Path, version: str, now: float | None = None) -> Path:
    """Return BASE/<UTC timestamp>-<version>/; the rollout creates it under its lock."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now if now is not None else time.time()))
    return base / f"{stamp}-{version}"


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


def _hist(row: Row) -> Counter[int]:
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
    hist: Counter[int] = Counter()
    n = fail = 0
    for row in rows:
        if start <= row["t"] < end:
            n += row["n"]
            fail += row["fail"]
            hist.update(_hist(row))
    return WindowStats(
        n, fail, percentile(hist, 0.5), percentile(hist, 0.95), percentile(hist, 0.99)
    )


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
        axes[1].plot(xs, [percentile(_hist(r), 0.95) for r in rows], label=label)
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


def write_summary(path: Path, lines: Sequence[str]) -> Path:
    """Write the text summary."""
    path.write_text("\n".join(lines) + "\n")
    return path
