"""Ratios of paired targets per round, their median and spread, as a table and files."""

from __future__ import annotations

import html
import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.table import Table

from bench.wrk import Sample


@dataclass(frozen=True)
class Pair:
    """A comparison: the measured target over its reference, and the ratio it should reach."""

    name: str
    target: str
    reference: str
    goal: float


@dataclass(frozen=True)
class Ratio:
    """A pair's figures over every round."""

    pair: Pair
    target_rps: float
    reference_rps: float
    median: float
    low: float
    high: float
    target_p99_ms: float
    reference_p99_ms: float
    errors: int

    @property
    def spread(self) -> float:
        """Return the range of the per-round ratios."""
        return self.high - self.low

    @property
    def verdict(self) -> str:
        """Tell whether the goal is met and the spread is smaller than the effect."""
        conclusive = self.spread < abs(1 - self.median)
        met = self.low >= self.pair.goal if conclusive else self.median >= self.pair.goal
        return ("met" if met else "MISSED") + ("" if conclusive else " (spread > effect)")


def ratio(pair: Pair, samples: list[Sample]) -> Ratio:
    """Pair each round's target and reference runs (run back to back) and combine them."""
    target = {s.round: s for s in samples if s.target == pair.target}
    reference = {s.round: s for s in samples if s.target == pair.reference}
    rounds = sorted(target.keys() & reference.keys())
    per_round = [target[r].requests_per_s / reference[r].requests_per_s for r in rounds]
    return Ratio(
        pair,
        statistics.median(target[r].requests_per_s for r in rounds),
        statistics.median(reference[r].requests_per_s for r in rounds),
        statistics.median(per_round),
        min(per_round),
        max(per_round),
        statistics.median(target[r].p99_ms for r in rounds),
        statistics.median(reference[r].p99_ms for r in rounds),
        sum(target[r].errors + reference[r].errors for r in rounds),
    )


HEAD = ["comparison", "req/s", "baseline req/s", "ratio (median)", "rounds min-max", "goal"]
HEAD += ["p99 ms", "baseline p99 ms", "errors", "verdict"]


def cells(r: Ratio) -> list[str]:
    """Return one table row."""
    return [
        r.pair.name,
        f"{r.target_rps:.0f}",
        f"{r.reference_rps:.0f}",
        f"{r.median:.2f}",
        f"{r.low:.2f}-{r.high:.2f}",
        f">= {r.pair.goal:.2f}",
        f"{r.target_p99_ms:.1f}",
        f"{r.reference_p99_ms:.1f}",
        str(r.errors),
        r.verdict,
    ]


def table(ratios: list[Ratio], title: str) -> Table:
    """Return the rich table of RATIOS."""
    out = Table(title=title)
    for column in HEAD:
        out.add_column(column)
    for r in ratios:
        out.add_row(*cells(r))
    return out


def write(
    ratios: list[Ratio], samples: list[Sample], meta: dict[str, object], out_dir: Path
) -> list[Path]:
    """Write bench.json, bench.md (a table ready to paste) and bench.html under OUT_DIR."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "meta": meta,
        "ratios": [asdict(r) | {"verdict": r.verdict} for r in ratios],
        "samples": [asdict(s) for s in samples],
    }
    json_path, md_path = out_dir / "bench.json", out_dir / "bench.md"
    json_path.write_text(json.dumps(data, indent=2))
    lines = [f"`{meta['command']}` ({meta['when']})", ""]
    lines += [f"| {' | '.join(HEAD)} |", f"|{'---|' * len(HEAD)}"]
    lines += [f"| {' | '.join(cells(r))} |" for r in ratios]
    lines += ["", str(meta["setup"])]
    md_path.write_text("\n".join(lines) + "\n")
    html_path = out_dir / "bench.html"
    html_path.write_text(page(ratios, meta))
    return [json_path, md_path, html_path]


def page(ratios: list[Ratio], meta: dict[str, object]) -> str:
    """Return a self-contained HTML page: the table, and each ratio's range as a bar."""
    rows = []
    for r in ratios:
        # 0..2 maps to 0..100 %: the bar spans the rounds' range, the tick marks the goal.
        left, width = r.low * 50, max((r.high - r.low) * 50, 0.5)
        bar = (
            f'<div class="axis"><div class="range" style="left:{min(left, 99):.1f}%;'
            f'width:{min(width, 100 - min(left, 99)):.1f}%"></div>'
            f'<div class="goal" style="left:{r.pair.goal * 50:.1f}%"></div></div>'
        )
        tds = "".join(f"<td>{html.escape(c)}</td>" for c in cells(r))
        rows.append(f"<tr>{tds}<td>{bar}</td></tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in [*HEAD, "rounds on 0-2 (tick: goal)"])
    style = (
        "body{font-family:sans-serif}td,th{padding:2px 8px;border-bottom:1px solid #ddd}"
        ".axis{position:relative;width:240px;height:12px;background:#eee}"
        ".range{position:absolute;top:2px;height:8px;background:#4a7}"
        ".goal{position:absolute;top:0;width:2px;height:12px;background:#c33}"
    )
    return (
        f"<!doctype html><meta charset=utf-8><title>bench</title><style>{style}</style>"
        f"<h1>What a request costs</h1><p><code>{html.escape(str(meta['command']))}</code>"
        f" ({html.escape(str(meta['when']))})</p><table><tr>{head}</tr>{''.join(rows)}</table>"
        f"<p>{html.escape(str(meta['setup']))}</p>\n"
    )
