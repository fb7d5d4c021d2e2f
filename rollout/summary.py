"""Write a finished rollout's report directory: summary.txt and chart.png beside the artefacts."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rollout.report import Event, WindowStats, chart, window, write_summary

if TYPE_CHECKING:
    from rollout.flow import Outcome

# Seconds after the switch still counted as "during" (old workers draining, caches warming).
SWITCH_TAIL_S = 5.0


def phase_windows(outcome: Outcome) -> dict[str, WindowStats]:
    """Background-load figures before, during and after the switch (empty without a switch)."""
    bg = outcome.loads.get("background")
    if bg is None or not bg.timeline or outcome.switch_window is None:
        return {}
    start, end = outcome.switch_window
    rows = bg.timeline
    first, last = rows[0]["t"], rows[-1]["t"] + 1
    return {
        "before switch": window(rows, first, int(start)),
        "during switch": window(rows, int(start), end + SWITCH_TAIL_S),
        "after switch": window(rows, end + SWITCH_TAIL_S, last),
        "whole run": window(rows, first, last),
    }


def slowest(endpoints: list[dict[str, Any]], n: int = 3) -> list[str]:
    """Name the endpoints with the highest p95 (where a latency gate failure comes from)."""
    ranked = sorted(endpoints, key=lambda e: -float(e.get("p95_ms") or 0))[:n]
    return [
        f"{e['method']} {e['name']}: p95 {float(e.get('p95_ms') or 0):.0f} ms, "
        f"{e['requests']} requests, {e['failures']} failed"
        for e in ranked
    ]


def write_report(outcome: Outcome) -> list[str]:
    """Write summary.txt and chart.png into the outcome's report dir; return the summary lines."""
    rec, out = outcome.record, outcome.report_dir
    finished = rec.finished or time.time()
    lines = [
        f"Rollout {rec.id} of {rec.version}: {rec.outcome.upper()} (exit {int(outcome.code)})",
        f"reason: {outcome.reason}",
        f"planned: {rec.from_colour} -> {rec.to_colour}; public traffic now on "
        f"{outcome.active_after or 'unknown'}; took {finished - rec.started:.1f}s",
        "",
        "phases:",
        *(f"  +{t - rec.started:6.1f}s  {name}" for name, t in rec.phases),
    ]
    promoted = next((t for name, t in rec.phases if name == "stop_old"), None)
    if promoted is not None and rec.outcome == "promoted":
        lines.append(f"time from deploy to promotion: {promoted - rec.started:.1f}s")
    if outcome.findings:
        lines += ["", "migrations not backward compatible:", *(f"  {f}" for f in outcome.findings)]
    if outcome.checks is not None:
        lines += [
            "",
            f"checks: {outcome.checks.summary}",
            *(f"  FAIL {f}" for f in outcome.checks.failures),
        ]
    for name, load in outcome.loads.items():
        m = load.measures
        lines += [
            "",
            f"locust {name}: {'PASSED' if load.passed else 'FAILED'}  "
            f"{int(m.get('num_requests', 0))} requests, {int(m.get('num_failures', 0))} failed, "
            f"p50 {m.get('p50_ms', 0):.0f} ms, p95 {m.get('p95_ms', 0):.0f} ms, "
            f"p99 {m.get('p99_ms', 0):.0f} ms",
            *(f"  why: {r}" for r in load.reasons),
            *(
                f"  error x{e['occurrences']}: {e['method']} {e['name']}: {e['error']}"
                for e in load.errors[:8]
            ),
            *(f"  skipped {k}: {v}" for k, v in load.skipped_features.items()),
            *(f"  slowest: {e}" for e in slowest(load.endpoints) if not load.passed),
        ]
    windows = phase_windows(outcome)
    if windows:
        lines += ["", "background load through the public route:"]
        lines += [f"  {stats.line(label)}" for label, stats in windows.items()]
        steady, during = windows["before switch"], windows["during switch"]
        if steady.p99_ms:
            lines.append(f"  p99 during switch / steady state: {during.p99_ms / steady.p99_ms:.2f}")
    series = [(name, load.timeline) for name, load in outcome.loads.items()]
    chart(out / "chart.png", series, [*outcome.events, Event("end", finished)])
    lines += ["", f"report: {out}", *(f"  {p.name}" for p in sorted(out.iterdir()))]
    if "summary.txt" not in {p.name for p in out.iterdir()}:
        lines.append("  summary.txt")
    write_summary(out / "summary.txt", lines)
    return lines
