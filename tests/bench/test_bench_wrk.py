"""bench/wrk.py: one round's one-second slices of a target merge into its sample."""

from __future__ import annotations

import pytest

from bench.wrk import Sample, combine


def test_slices_merge_into_the_rounds_sample() -> None:
    slices = [
        Sample("kit", 3, 1000.0, 1.0, 9.0, 1000, 0),
        Sample("kit", 3, 800.0, 2.0, 30.0, 800, 2),
        Sample("kit", 3, 900.0, 1.5, 10.0, 900, 1),
    ]
    merged = combine(slices)
    assert (merged.target, merged.round) == ("kit", 3)
    assert merged.requests_per_s == pytest.approx(900.0)  # equal lengths: the mean rate
    assert (merged.p50_ms, merged.p99_ms) == (1.5, 10.0)  # the median slice, not the worst
    assert (merged.requests, merged.errors) == (2700, 3)
