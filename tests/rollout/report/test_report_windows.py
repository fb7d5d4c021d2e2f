"""Report helpers: histogram percentiles, windows over a timeline, the chart."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rollout.outcome import Event
from rollout.report.chart import _label_levels, chart
from rollout.report.windows import percentile, report_dir, window


def test_percentile_of_histogram() -> None:
    hist = Counter({10: 90, 100: 9, 1000: 1})
    assert percentile(hist, 0.5) == 10
    assert percentile(hist, 0.95) == 100
    assert percentile(hist, 0.99) == 100
    assert percentile(hist, 1.0) == 1000
    assert percentile(Counter(), 0.99) == 0


ROWS = [
    {"t": 100, "n": 10, "fail": 0, "rt": {"5": 10}},
    {"t": 101, "n": 10, "fail": 2, "rt": {"50": 10}},
    {"t": 102, "n": 10, "fail": 0, "rt": {"5": 10}},
]


def test_window_selects_seconds() -> None:
    w = window(ROWS, 101, 102)
    assert (w.requests, w.failures, w.p99_ms) == (10, 2, 50)
    whole = window(ROWS, 0, 10**10)
    assert (whole.requests, whole.failures, whole.p50_ms) == (30, 2, 5)
    assert "30 req" in whole.line("all")


def test_chart_and_report_dir(tmp_path: Path) -> None:
    out = report_dir(tmp_path, "abc123", now=0)
    assert out.name == "19700101T000000Z-abc123"
    png = chart(out / "c.png", [("background", ROWS)], [Event("switch", 101.5)])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_close_event_labels_are_staggered_and_far_ones_share_a_row() -> None:
    # switch/promoted/post-switch fall within a second; deploy and stop are far apart.
    assert _label_levels([3.0, 27.0, 27.3, 27.5, 43.0], min_gap=4.5) == [0, 0, 1, 2, 0]
