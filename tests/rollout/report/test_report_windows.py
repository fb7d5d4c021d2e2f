"""Report helpers: the report directory and the chart."""

from __future__ import annotations

from pathlib import Path

from rollout.outcome import Event
from rollout.report.chart import _label_levels, chart
from rollout.report.windows import report_dir


def test_chart_and_report_dir(tmp_path: Path) -> None:
    out = report_dir(tmp_path, "abc123", now=0)
    assert out.name == "19700101T000000Z-abc123"
    rows = [
        {"t": 100, "n": 4, "fail": 0, "rt": {"5": 4}},
        {"t": 101, "n": 4, "fail": 1, "rt": {"9": 4}},
    ]
    png = chart(out / "c.png", [("background", rows)], [Event("switch", 100.5)])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_close_event_labels_are_staggered_and_far_ones_share_a_row() -> None:
    # switch/promoted/post-switch fall within a second; deploy and stop are far apart.
    assert _label_levels([3.0, 27.0, 27.3, 27.5, 43.0], min_gap=4.5) == [0, 0, 1, 2, 0]
