"""What users saw: the multi-window burn-rate rule, the p99 threshold, and the access log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rollout.verify.access_log import AccessLogObserver, belongs, read_hits, upstream_ms
from rollout.verify.gates import GateConfig
from rollout.verify.observe import Window, burn_rate, judge, percentile
from rollout.verify.verdict import Status

CFG = GateConfig(
    "post_switch", observe_min_requests=100, observe_max_p99_ms=500, slo_target=0.999,
    max_burn_rate=14.4, short_window_s=3,
)  # fmt: skip
GREEN = "127.0.0.1:24102"


def test_burn_rate_is_error_ratio_over_budget() -> None:
    assert burn_rate(Window(1000, 10, 0), 0.999) == pytest.approx(10.0)
    assert burn_rate(Window(0, 0, 0), 0.999) == 0.0


def test_both_windows_must_burn_to_fail() -> None:
    long, short = Window(1000, 20, 50), Window(100, 5, 50)  # 20x and 50x
    verdict = judge(CFG, "green", long, short)
    assert verdict.status is Status.FAILED
    assert "error budget burning 20.0x" in verdict.reasons[0]
    # A burst that stopped: the long window burns, the last seconds do not.
    assert judge(CFG, "green", long, Window(100, 0, 50)).status is Status.PASSED
    # A blip at the end: the short window burns, the whole window does not.
    assert judge(CFG, "green", Window(1000, 5, 50), short).status is Status.PASSED


def test_p99_above_the_threshold_fails() -> None:
    verdict = judge(CFG, "green", Window(1000, 0, 800), Window(100, 0, 800))
    assert verdict.status is Status.FAILED
    assert verdict.reasons == ["p99 800 ms above 500 ms"]


def test_too_few_requests_are_not_judged() -> None:
    verdict = judge(CFG, "green", Window(20, 20, 5000), Window(20, 20, 5000))
    assert verdict.status is Status.PASSED
    assert verdict.summary.startswith("not judged: only 20 requests")


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.5) == 50.0
    assert percentile([], 0.99) == 0.0


def line(t: float, status: int, colour: str, upstream: str, up_time: str) -> str:
    """One line exactly as Nginx's kit_json log_format writes it."""
    return json.dumps({
        "time": "2026-12-07T14:00:00+00:00", "msec": t, "request_id": "abc",
        "remote_addr": "127.0.0.1", "host": "localhost", "method": "GET",
        "uri": "/api/v1/items", "status": status, "bytes": 12, "request_time": 0.01,
        "colour": colour, "upstream": upstream, "upstream_status": str(status),
        "upstream_time": up_time, "user_agent": "python-requests",
    })  # fmt: skip


def test_lines_belong_to_the_colour_that_answered_or_was_tried() -> None:
    assert belongs({"colour": "green", "upstream": GREEN}, "green", GREEN)
    assert not belongs({"colour": "blue", "upstream": "127.0.0.1:24101"}, "green", GREEN)
    # A 502 from a dead colour carries no app header: the address says whose it is.
    assert belongs({"colour": "", "upstream": GREEN}, "green", GREEN)
    assert not belongs({"colour": "", "upstream": ""}, "green", GREEN)  # Nginx's own 429


def test_upstream_time_sums_retries_and_ignores_dashes() -> None:
    assert upstream_ms("0.012") == pytest.approx(12.0)
    assert upstream_ms("0.010, 0.004") == pytest.approx(14.0)
    assert upstream_ms("-") == 0.0


def test_access_log_window_of_the_new_colour(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    rows = [line(999.0, 500, "green", GREEN, "0.001")]  # before the switch: not counted
    rows += [line(1000.0 + i / 100, 200, "green", GREEN, "0.020") for i in range(300)]
    rows += [line(1001.0, 500, "blue", "127.0.0.1:24101", "0.020")]  # the old colour
    rows += [line(1003.5, 502, "", GREEN, "-") for _ in range(10)]  # green died at the end
    rows += ["not json", '{"time": "an older format"}']
    log.write_text("\n".join(rows) + "\n")
    hits = read_hits(log, "green", GREEN, 1000.0, 1004.0)
    assert len(hits) == 310
    assert sum(h.status >= 500 for h in hits) == 10

    observer = AccessLogObserver(log, "green", GREEN, 1000.0, flush_s=0, clock=lambda: 1004.0)
    verdict = observer.verdict(CFG)
    # The whole window and its last 3 s both burn far above 14.4x (10/310 and 10/110).
    assert verdict.status is Status.FAILED
    assert "green: 310 requests, 10 5xx" in verdict.summary

    # Asked later (after a control run), the short window still ends at green's last request.
    later = AccessLogObserver(log, "green", GREEN, 1000.0, flush_s=0, clock=lambda: 1010.0)
    assert later.verdict(CFG).status is Status.FAILED

    # Had green answered well in its last 3 s, the earlier burst alone would not fail it.
    rows += [line(1006.0 + i / 100, 200, "green", GREEN, "0.020") for i in range(200)]
    log.write_text("\n".join(rows) + "\n")
    recovered = AccessLogObserver(log, "green", GREEN, 1000.0, flush_s=0, clock=lambda: 1010.0)
    assert recovered.verdict(CFG).status is Status.PASSED
