"""A timeline's figures: histogram percentiles and windows over its seconds."""

from __future__ import annotations

from collections import Counter

from rollout.verify.timeline import percentile, window

ROWS = [
    {"t": 100, "n": 10, "fail": 0, "rt": {"5": 10}},
    {"t": 101, "n": 10, "fail": 2, "rt": {"50": 10}},
    {"t": 102, "n": 10, "fail": 0, "rt": {"5": 10}},
]


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
