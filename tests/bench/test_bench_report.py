"""bench/report.py: per-round ratios, their spread, and when a verdict is conclusive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.report import Pair, ratio, write
from bench.wrk import Sample

PAIR = Pair("kit / bare", "kit", "bare", 0.85)


def samples(kit: list[float], bare: list[float]) -> list[Sample]:
    """Rounds of the two targets with the given req/s."""
    out = []
    for n, (k, b) in enumerate(zip(kit, bare, strict=True)):
        out += [Sample("kit", n, k, 1.0, 5.0, 100, 0), Sample("bare", n, b, 1.0, 4.0, 100, 1)]
    return out


def test_ratios_pair_runs_of_the_same_round() -> None:
    # Drift moves both sides of a round together: per-round ratios stay put.
    r = ratio(PAIR, samples([900, 450, 1800], [1000, 500, 2000]))
    assert r.median == pytest.approx(0.9)
    assert r.spread == pytest.approx(0.0)
    assert r.errors == 3
    assert r.verdict == "met"


def test_a_spread_wider_than_the_effect_is_inconclusive() -> None:
    r = ratio(PAIR, samples([950, 1100, 1000], [1000, 1000, 1000]))
    assert (r.low, r.high) == (pytest.approx(0.95), pytest.approx(1.1))
    assert r.verdict == "met (spread > effect)"


def test_a_missed_goal_is_named() -> None:
    r = ratio(PAIR, samples([500, 520, 480], [1000, 1000, 1000]))
    assert r.verdict == "MISSED"


def test_reports_are_written_ready_to_paste(tmp_path: Path) -> None:
    r = ratio(PAIR, samples([900, 880], [1000, 1000]))
    meta = {"command": "python -m bench", "when": "now", "setup": "wrk -t1 -c4"}
    json_path, md_path, html_path = write([r], samples([900, 880], [1000, 1000]), meta, tmp_path)
    assert json.loads(json_path.read_text())["ratios"][0]["verdict"] == "met"
    table = md_path.read_text()
    assert "| kit / bare | 890 | 1000 | 0.89 | 0.88-0.90 | >= 0.85 |" in table
    assert "`python -m bench`" in table
    page = html_path.read_text()
    assert "<td>kit / bare</td>" in page
    assert 'class="goal" style="left:42.5%"' in page  # the goal 0.85 on a 0-2 axis
