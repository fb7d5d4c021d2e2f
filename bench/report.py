"""Ratios of paired targets per round, their median and spread, as a table and files."""

from __future__ import annotations

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
    """Write bench.json and bench.md (a table ready to paste) under OUT_DIR."""
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
    return [json_path, md_path]
