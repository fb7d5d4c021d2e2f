"""A colour's Prometheus series: deltas of the app's own counters and histogram, burn rates."""

from __future__ import annotations

import time

import pytest
from prometheus_client import REGISTRY, generate_latest

from app.observability.metrics import LATENCY, REQUESTS
from rollout.kube.kubectl import KubectlError
from rollout.kube.metrics import Counts, MetricsObserver, parse, quantile, window
from rollout.verify.gates import GateConfig
from rollout.verify.verdict import Status

CFG = GateConfig("post_switch", observe_min_requests=100, observe_max_p99_ms=500, short_window_s=3)
PROBES = ["/healthz", "/readyz"]


def scrape() -> Counts:
    """What the app's /metrics would print in this process, as the rollout reads it."""
    return parse(generate_latest(REGISTRY).decode(), PROBES)


def answer(endpoint: str, status: int, seconds: float, times: int) -> None:
    for _ in range(times):
        REQUESTS.labels("GET", endpoint, str(status)).inc()
        LATENCY.labels("GET", endpoint, str(status)).observe(seconds)


def test_window_from_the_app_s_real_exposition() -> None:
    before = scrape()
    answer("/api/v1/items", 200, 0.02, 990)
    answer("/api/v1/items", 503, 0.02, 10)
    answer("/healthz", 500, 3.0, 50)  # kubelet probes are not users
    after = scrape()
    seen = window({"web-green-a": after}, {"web-green-a": before})
    assert (seen.requests, seen.errors) == (1000, 10)
    assert 10 < seen.p99_ms <= 25  # inside the 10-25 ms bucket, interpolated


def test_a_restarted_pod_counts_from_zero_and_a_new_pod_in_full() -> None:
    earlier = {"a": Counts(500, 5, {0.1: 500, float("inf"): 500})}
    later = {
        "a": Counts(40, 1, {0.1: 40, float("inf"): 40}),  # restarted: counters reset
        "b": Counts(60, 0, {0.1: 60, float("inf"): 60}),  # scaled up since
    }
    assert (window(later, earlier).requests, window(later, earlier).errors) == (100, 1)


def test_quantile_interpolates_like_histogram_quantile() -> None:
    buckets = {0.1: 50.0, 0.2: 100.0, float("inf"): 100.0}
    assert quantile(0.5, buckets) == pytest.approx(0.1)
    assert quantile(0.75, buckets) == pytest.approx(0.15)
    assert quantile(0.99, {0.5: 0.0, float("inf"): 10.0}) == 0.5  # the highest finite bound
    assert quantile(0.99, {}) == 0.0


def test_observer_judges_the_whole_window_and_its_last_seconds() -> None:
    inf = float("inf")
    base = {"a": Counts(0, 0, {0.05: 0, inf: 0})}
    mid = {"a": Counts(900, 0, {0.05: 900, inf: 900})}
    last = {"a": Counts(1000, 100, {0.05: 1000, inf: 1000})}  # 100 of the last 100 failed
    observer = MetricsObserver("green", lambda: last, every_s=3600)
    now = time.time()
    observer.samples = [(now - 30, base), (now - 10, mid)]
    verdict = observer.verdict(CFG)
    assert verdict.status is Status.FAILED
    assert "green: 1000 requests, 100 5xx" in verdict.summary
    assert "error budget burning 100.0x" in verdict.reasons[0]

    # No traffic since (a control ran elsewhere): the short window still ends at the last one.
    idle = MetricsObserver("green", lambda: last, every_s=3600)
    idle.samples = [(now - 40, base), (now - 20, mid), (now - 10, last)]
    assert idle.verdict(CFG).status is Status.FAILED


def test_unreadable_metrics_are_not_judged() -> None:
    def broken() -> dict[str, Counts]:
        raise KubectlError("forbidden: pods/proxy")

    verdict = MetricsObserver("green", broken, every_s=3600).verdict(CFG)
    assert verdict.status is Status.PASSED
    assert "not judged: scrape failed: forbidden" in verdict.summary


def test_closing_stops_the_scrape_loop() -> None:
    scrapes: list[float] = []

    def count() -> dict[str, Counts]:
        scrapes.append(time.time())
        return {}

    observer = MetricsObserver("green", count, every_s=0.01)
    time.sleep(0.1)
    observer.close()
    done = len(scrapes)
    time.sleep(0.1)
    assert done >= 2  # the loop did scrape between the start and close
    assert len(scrapes) == done
