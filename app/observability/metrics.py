"""Prometheus metrics: request, cache and job series, and /metrics (never exposed publicly).

/metrics is served by the app for Prometheus to scrape on the private network; the public
proxy (nginx/) does not route it. Under gunicorn every worker writes its samples to files in
PROMETHEUS_MULTIPROC_DIR (app/gunicorn_conf.py sets one up) and a scrape merges them all.
Series read at scrape time (readiness, queue sizes) come from collectors the features that
own them register with register_collector; this module imports no feature.
The RQ worker serves its own job series on WORKER_METRICS_PORT (app/worker.py).
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.registry import Collector

COLLECTORS_KEY = "metrics_collectors"
UNMATCHED = "<unmatched>"  # the endpoint label of a path no route matched: never the raw path
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "app_http_requests_total", "HTTP requests answered.", ["method", "endpoint", "status"]
)
LATENCY = Histogram(
    "app_http_request_duration_seconds",
    "Time spent answering HTTP requests.",
    ["method", "endpoint", "status"],
    buckets=LATENCY_BUCKETS,
)
CACHE = Counter("app_cache_requests_total", "Cache lookups.", ["cache", "result"])
CACHE_RECOMPUTES = Counter("app_cache_recomputes_total", "Cache values computed.", ["cache"])
JOBS = Counter("app_jobs_total", "Background jobs run, by outcome.", ["job", "outcome"])
JOB_DURATION = Histogram(
    "app_job_duration_seconds",
    "Time spent running background jobs.",
    ["job", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)

bp = Blueprint("metrics", __name__)


def multiprocess_dir() -> str | None:
    """Return PROMETHEUS_MULTIPROC_DIR when set (gunicorn_conf sets one for its workers)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def process_registry() -> CollectorRegistry:
    """Return the registry holding this process's (or, merged, every process's) samples."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


@bp.get("/metrics")
def metrics() -> Response:
    """Expose the metrics in Prometheus text format."""
    # Scrape-time series (readiness, queue depths) are read fresh, never stored per process.
    live = CollectorRegistry()
    for collector in current_app.extensions.get(COLLECTORS_KEY, []):
        live.register(collector)
    output = generate_latest(process_registry()) + generate_latest(live)
    return Response(output, mimetype=CONTENT_TYPE_LATEST)


def register_collector(app: Flask, collector: Collector) -> None:
    """Add a feature's scrape-time collector to APP's /metrics."""
    app.extensions.setdefault(COLLECTORS_KEY, []).append(collector)


def _series(method: str, endpoint: str, status: int) -> tuple[Any, Any]:
    """Return the request counter and latency children of one label set (looked up once)."""
    key = (method, endpoint, status)
    found = _SERIES.get(key)
    if found is None:
        labels = (method, endpoint, str(status))
        found = _SERIES[key] = (REQUESTS.labels(*labels), LATENCY.labels(*labels))
    return found


# Label sets are bounded (route rules, methods, statuses); children live as long as the metric.
_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def init_metrics(app: Flask) -> None:
    """Time every request and register /metrics."""
    if multiprocess_dir() and values.ValueClass is values.MutexValue:
        # prometheus_client picks file-backed values at import, and gunicorn's master may
        # import the app before its config sets PROMETHEUS_MULTIPROC_DIR. Every series here
        # has labels, so its values are created later, per label set: switch them now.
        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]

    # The start time is the one app/observability/requests.py takes for the request log: a
    # hook of its own would cost every request a dispatch for the same perf_counter().
    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("started")
        # One lookup of the request behind the proxy instead of one per attribute read.
        current = request._get_current_object()  # type: ignore[attr-defined]
        if started is not None and current.path != "/metrics":
            rule = current.url_rule
            endpoint = rule.rule if rule is not None else UNMATCHED
            count, latency = _series(current.method, endpoint, response.status_code)
            count.inc()
            latency.observe(time.perf_counter() - started)
        return response

    app.register_blueprint(bp)
