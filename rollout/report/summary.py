"""Write a finished rollout's report dir: summary.txt and chart.png beside the artefacts."""

from __future__ import annotations

import time
from typing import Any

from rollout.outcome import Event, Outcome
from rollout.report.chart import chart
from rollout.report.windows import phase_windows
from rollout.verify.loadrun import LoadResult


def slowest(endpoints: list[dict[str, Any]], n: int = 3) -> list[str]:
    """Name the endpoints with the highest p95 (where a latency gate failure comes from)."""
    ranked = sorted(endpoints, key=lambda e: -float(e.get("p95_ms") or 0))[:n]
    return [
        f"{e['method']} {e['name']}: p95 {float(e.get('p95_ms') or 0):.0f} ms, "
        f"{e['requests']} requests, {e['failures']} failed"
        for e in ranked
    ]


def load_lines(name: str, load: LoadResult) -> list[str]:
    """Describe one locust run: verdict, figures, why, errors, skipped features."""
    m = load.measures
    return [
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


def summary_lines(outcome: Outcome, finished: float) -> list[str]:
    """Return the text summary of a finished rollout."""
    rec = outcome.record
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
    if outcome.verification is not None:
        verdict = outcome.verification
        lines += ["", f"checks: {verdict.summary}", *(f"  FAIL {r}" for r in verdict.reasons)]
    for name, load in outcome.loads.items():
        lines += load_lines(name, load)
    for verdict in outcome.verdicts:
        lines += ["", f"{verdict.check}: {verdict.status.upper()}  {verdict.summary}"]
        lines += [f"  why: {r}" for r in verdict.reasons]
    windows = phase_windows(outcome.background_rows, outcome.switch_window)
    if windows:
        lines += ["", "background load through the public route:"]
        lines += [f"  {stats.line(label)}" for label, stats in windows.items()]
        steady, during = windows["before switch"], windows["during switch"]
        if steady.p99_ms:
            lines.append(f"  p99 during switch / steady state: {during.p99_ms / steady.p99_ms:.2f}")
    return lines


def write_report(outcome: Outcome) -> list[str]:
    """Write summary.txt and chart.png into the outcome's report dir; return the summary."""
    out = outcome.report_dir
    finished = outcome.record.finished or time.time()
    series = [(name, load.timeline) for name, load in outcome.loads.items()]
    chart(out / "chart.png", series, [*outcome.events, Event("end", finished)])
    lines = summary_lines(outcome, finished)
    names = sorted({p.name for p in out.iterdir()} | {"summary.txt"})
    lines += ["", f"report: {out}", *(f"  {name}" for name in names)]
    (out / "summary.txt").write_text("\n".join(lines) + "\n")
    return lines
