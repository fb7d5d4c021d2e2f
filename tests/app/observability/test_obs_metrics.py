"""/metrics: request counts and latency by endpoint and status, readiness and job gauges."""

from __future__ import annotations

import time

from app_helpers import make_settings, service_port
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from app.extensions import db
from app.jobs.queue import enqueue
from app.observability.multiproc import mark_worker_dead, prepare_dir
from tests.support.redis_server import RedisServer


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Parse an exposition into {(sample name, sorted labels): value}."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_by_endpoint_and_status(app: Flask) -> None:
    client = app.test_client()
    before = client.get("/metrics").get_data(as_text=True)
    ok = {"method": "GET", "endpoint": "/api/v1/items/<int:item_id>", "status": "404"}
    for _ in range(3):
        client.get("/api/v1/items/12345")
    client.get("/no/such/page")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert (
        value(text, "app_http_requests_total", **ok)
        == value(before, "app_http_requests_total", **ok) + 3
    )
    assert value(text, "app_http_request_duration_seconds_count", **ok) >= 3
    assert value(text, "app_http_request_duration_seconds_bucket", le="+Inf", **ok) >= 3
    unmatched = {"method": "GET", "endpoint": "<unmatched>", "status": "404"}
    assert value(text, "app_http_requests_total", **unmatched) >= 1
    assert not any(
        labels and dict(labels).get("endpoint") == "/metrics" for _, labels in samples(text)
    )


def test_readiness_gauges(app: Flask) -> None:
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert value(text, "app_dependency_up", dependency="database") == 1.0


def test_a_failing_dependency_reads_zero_and_metrics_still_answer() -> None:
    app = create_app(make_settings("sqlite://", f"redis://127.0.0.1:{service_port()}/0"))
    with app.app_context():
        db.create_all()
    started = time.monotonic()
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert time.monotonic() - started < 5
    text = response.get_data(as_text=True)
    assert value(text, "app_dependency_up", dependency="redis") == 0.0
    assert value(text, "app_dependency_up", dependency="database") == 1.0


def test_job_and_cache_series(redis_server: RedisServer) -> None:
    app = create_app(make_settings("sqlite://", redis_server.url))
    with app.app_context():
        db.create_all()
    client = app.test_client()
    try:
        client.get("/api/v1/items")
        client.get("/api/v1/items")
        with app.test_request_context():
            enqueue(print, "queued only")
        text = client.get("/metrics").get_data(as_text=True)
        assert value(text, "app_jobs_queued", queue="default") == 1.0
        assert value(text, "app_jobs_failed", queue="default") == 0.0
        assert value(text, "app_cache_requests_total", cache="items.Items", result="hit") >= 1
        assert value(text, "app_cache_recomputes_total", cache="items.Items") >= 1
    finally:
        app.extensions["redis_client"].get().flushdb()


def test_multiproc_dir_is_prepared_and_emptied(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "prom"))
    (tmp_path / "prom").mkdir()
    (tmp_path / "prom" / "counter_123.db").write_bytes(b"old")
    assert prepare_dir() == tmp_path / "prom"
    assert not list((tmp_path / "prom").iterdir())
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    created = prepare_dir()
    try:
        assert created.is_dir()
        (created / "gauge_livesum_4242.db").write_bytes(b"")
        mark_worker_dead(type("Worker", (), {"pid": 4242})())
        assert not (created / "gauge_livesum_4242.db").exists()
    finally:
        monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
        for leftover in created.iterdir():
            leftover.unlink()
        created.rmdir()


def test_multiprocess_registry_reads_the_samples_dir(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from prometheus_client import REGISTRY, generate_latest

    from app.observability.metrics import process_registry

    assert process_registry() is REGISTRY
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    registry = process_registry()
    assert registry is not REGISTRY
    assert generate_latest(registry) == b""  # nothing written yet
