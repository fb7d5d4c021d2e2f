"""The soak's report: the table, summary.json, and the HTML page with its one chart."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from rollout.soak.accounting import Figures, Request, RolloutResult, Split, Window
from rollout.soak.report import print_table, rows, write


def figures(outside_failed: int = 0) -> tuple[list[Request], Figures]:
    reqs = [Request(100.0 + i, 0.05, "GET", "/", 200, "blue", True) for i in range(60)]
    reqs.append(Request(110.0, 0.05, "GET", "/<b>", 502, "green", False))
    rollouts = [
        RolloutResult(1, "v-001", None, 100.0, 130.0, 0, "promoted", faults=["slow-db"]),
        RolloutResult(2, "v-002-bad-<slow>", "slow", 130.0, 155.0, 9, "refused"),
    ]
    windows = [Window("slow-db", 118.0, 125.0, "+150 ms <per chunk>")]
    split = Split(8, 1, 53, outside_failed)  # as counted, whatever the requests above say
    return reqs, Figures(rollouts, split, 40, 40, 6, 6, windows, planned=2)


def test_rows_name_every_figure_of_the_issue() -> None:
    _, f = figures()
    table = dict(rows(f))
    assert table["good releases promoted"] == "1 of 1"
    assert table["bad releases refused"] == "1 of 1"
    assert table["requests sent / failed, outside faults"] == "53 / 0"
    assert table["requests sent / failed, inside faults"] == "8 / 1"
    assert table["failure rate outside faults, 95% bound"] == "< 5.66e-02 (3/n)"
    assert table["writes accepted / found afterwards"] == "40 / 40"
    assert table["jobs enqueued / completed"] == "6 / 6"
    _, failing = figures(outside_failed=2)
    assert dict(rows(failing))["failure rate outside faults, 95% bound"] == "n/a"


def test_write_makes_json_chart_and_escaped_html(tmp_path: Path) -> None:
    reqs, f = figures()
    page = write(tmp_path / "soak", reqs, f, "python -m rollout.soak -n 2")
    data = json.loads((tmp_path / "soak" / "summary.json").read_text())
    assert data["exit"] == 0
    assert data["failed_outside"] == ["+10.0s GET /<b> -> 502 (green)"]
    assert data["requests"]["outside_sent"] == 53
    assert (tmp_path / "soak" / "chart.png").read_bytes()[:4] == b"\x89PNG"
    text = page.read_text()
    assert "v-002-bad-&lt;slow&gt;" in text
    assert "<per chunk>" not in text
    assert "none: passed" in text


def test_table_lists_unmet_criteria() -> None:
    _, f = figures(outside_failed=2)
    console = Console(record=True, width=120)
    reqs, _ = figures()
    print_table(console, f, reqs)
    text = console.export_text()
    assert "2 failed requests outside fault windows" in text
    assert "failed outside faults: +10.0s GET /<b> -> 502 (green)" in text
