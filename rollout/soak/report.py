"""The soak's report: a summary table, summary.json, and report.html with one chart."""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display here, and never one in CI
import matplotlib.pyplot as plt
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rollout.soak.accounting import Figures, Request, failed_outside

BIN_S = 5  # chart resolution: requests and failures per second, averaged over 5 s
OUTCOME_COLOURS = {
    "promoted": "tab:green",
    "refused": "tab:orange",
    "rolled_back": "tab:red",
    "inconclusive": "tab:purple",
    "error": "black",
}


def rows(f: Figures) -> list[tuple[str, str]]:
    """Return the summary as (label, value) rows, the table's and the HTML page's."""
    s = f.split
    good, bad = [r for r in f.rollouts if not r.bad], [r for r in f.rollouts if r.bad]
    bound = f.upper_bound
    kinds = Counter(w.kind for w in f.windows)
    return [
        ("rollouts run / planned", f"{len(f.rollouts)} / {f.planned}"),
        ("good releases promoted", f"{f.count('promoted')} of {len(good)}"),
        ("good releases refused", str(f.count("refused"))),
        ("good releases rolled back", str(f.count("rolled_back"))),
        ("good releases inconclusive (after retry)", str(f.count("inconclusive"))),
        ("retried after an inconclusive gate", str(sum(r.retried for r in f.rollouts))),
        ("bad releases refused", f"{f.count('refused', bad=True)} of {len(bad)}"),
        ("requests sent / failed, outside faults", f"{s.outside_sent} / {s.outside_failed}"),
        ("requests sent / failed, inside faults", f"{s.inside_sent} / {s.inside_failed}"),
        ("resent once, connection closed unanswered (outside / inside faults)",
         f"{s.outside_resent} / {s.inside_resent}"),
        ("failure rate outside faults, 95% bound", f"< {bound:.2e} (3/n)" if bound else "n/a"),
        ("writes accepted / found afterwards", f"{f.writes_accepted} / {f.writes_found}"),
        ("jobs enqueued / completed", f"{f.jobs_enqueued} / {f.jobs_completed}"),
        ("fault windows", ", ".join(f"{k} x{n}" for k, n in kinds.items())),
        ("failed / sent inside, by fault kind",
         ", ".join(f"{k} {failed}/{sent}" for k, (sent, failed) in f.per_kind.items()) or "-"),
    ]  # fmt: skip


def describe(r: Request, t0: float) -> str:
    """Describe one request on one line, its time relative to t0."""
    answer = r.status or "no answer"
    why = f" after {r.dur:.1f}s, {r.error}" if r.error else ""
    return f"+{r.t - t0:.1f}s {r.method} {r.path} -> {answer} ({r.colour or '-'}){why}"


def print_table(console: Console, f: Figures, requests: Sequence[Request] = ()) -> None:
    """Print the summary table, the unmet criteria and the failures outside fault windows."""
    table = Table(title="soak", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    for label, value in rows(f):
        table.add_row(escape(label), escape(value))
    console.print(table)
    for _, text in f.unmet():
        console.print(f"[red]criterion not met:[/] {escape(text)}")
    t0 = min((r.t for r in requests), default=0.0)
    for r in failed_outside(requests, f.windows)[:10]:
        console.print(f"  failed outside faults: {escape(describe(r, t0))}")


def chart(path: Path, requests: Sequence[Request], f: Figures) -> Path:
    """Draw requests/s and failures/s over the soak, fault windows shaded, rollouts marked."""
    t0 = min([r.t for r in requests] + [r.start for r in f.rollouts] or [0.0])
    sent: Counter[int] = Counter()
    failed: Counter[int] = Counter()
    for r in requests:
        sent[int((r.t - t0) // BIN_S)] += 1
        failed[int((r.t - t0) // BIN_S)] += not r.ok
    last = max(sent, default=0)
    xs = [b * BIN_S for b in range(last + 1)]
    fig, ax = plt.subplots(figsize=(13, 5))
    ax.plot(xs, [sent[b] / BIN_S for b in range(last + 1)], color="tab:blue", label="requests/s")
    ax.set_ylabel("requests/s")
    ax.set_xlabel("seconds since the soak's load started")
    fails = ax.twinx()
    fails.bar(xs, [failed[b] / BIN_S for b in range(last + 1)], width=BIN_S, align="edge",
              color="tab:red", alpha=0.7, label="failures/s")  # fmt: skip
    fails.set_ylabel("failures/s")
    fails.set_ylim(bottom=0, top=max(1.0, fails.get_ylim()[1]))
    kinds = sorted({w.kind for w in f.windows})
    for w in f.windows:
        colour = f"C{kinds.index(w.kind) % 10}"
        ax.axvspan(w.start - t0, w.end - t0, color=colour, alpha=0.15, label=w.kind)
    for ro in f.rollouts:
        colour = OUTCOME_COLOURS.get(ro.outcome, "black")
        style = ":" if ro.bad else "-"
        ax.axvline(ro.end - t0, color=colour, linestyle=style, linewidth=1)
        ax.annotate(str(ro.index), (ro.end - t0, 1.01), xycoords=("data", "axes fraction"),
                    fontsize=7, ha="center", color=colour, annotation_clip=False)  # fmt: skip
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = fails.get_legend_handles_labels()
    seen = dict(zip(labels + l2, handles + h2, strict=True))  # one legend entry per kind
    ax.legend(seen.values(), seen.keys(), loc="upper left", bbox_to_anchor=(1.06, 1.0), fontsize=8)
    ax.set_title(
        "soak: rollouts marked at their end (green promoted, orange refused, red rolled back, "
        "purple inconclusive; dotted: bad release)", fontsize=9,
    )  # fmt: skip
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write(out: Path, requests: Sequence[Request], f: Figures, command: str) -> Path:
    """Write summary.json, chart.png and report.html under out; return the HTML's path."""
    out.mkdir(parents=True, exist_ok=True)
    t0 = min((r.t for r in requests), default=0.0)
    outside = [describe(r, t0) for r in failed_outside(requests, f.windows)]
    data = f.as_dict() | {"command": command, "failed_outside": outside[:100]}
    (out / "summary.json").write_text(json.dumps(data, indent=2) + "\n")
    chart(out / "chart.png", requests, f)
    esc = html.escape
    table = "\n".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows(f))
    windows = "\n".join(
        f"<li>{esc(w.kind)}: {esc(w.detail)} ({w.end - w.start:.1f}s)</li>" for w in f.windows
    )
    rollouts = "\n".join(
        f"<li>#{r.index} {esc(r.version)}{' (bad: ' + esc(r.bad) + ')' if r.bad else ''}: "
        f"{esc(r.outcome)} (exit {r.code}{', retried' if r.retried else ''}) "
        f"{r.end - r.start:.0f}s; faults before: {esc(', '.join(r.faults) or '-')}</li>"
        for r in f.rollouts
    )
    unmet = "".join(f"<li>{esc(t)}</li>" for _, t in f.unmet()) or "<li>none: passed</li>"
    unmet += "".join(f"<li>failed outside faults: {esc(line)}</li>" for line in outside[:100])
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>soak report</title>
<style>body{{font-family:sans-serif;margin:2em}} th{{text-align:left;padding-right:2em}}</style>
</head><body>
<h1>Soak</h1>
<p><code>{esc(command)}</code></p>
<table>{table}</table>
<h2>Unmet criteria</h2><ul>{unmet}</ul>
<img src="chart.png" alt="requests and failures over the soak" style="max-width:100%">
<h2>Rollouts</h2><ul>{rollouts}</ul>
<h2>Fault windows</h2><ul>{windows}</ul>
</body></html>
"""
    path = out / "report.html"
    path.write_text(page)
    return path
