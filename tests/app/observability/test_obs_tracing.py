"""OpenTelemetry: off by default, and when on, spans for Flask, SQLAlchemy, Redis and requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from app_helpers import make_settings, service_port
from flask import Flask
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app import create_app
from app.extensions import db
from app.observability.tracing import REQUEST_ID_ATTRIBUTE, build_provider, tracing_enabled
from tests.support.redis_server import RedisServer


@pytest.mark.parametrize(
    ("env", "enabled"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
    ],
)
def test_enabled_only_by_the_standard_variables(env: dict[str, str], enabled: bool) -> None:
    assert tracing_enabled(env) is enabled


def test_off_by_default(app: Flask) -> None:
    assert "tracer_provider" not in app.extensions


def test_default_provider_exports_otlp_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{service_port()}")
    provider = build_provider(make_settings())
    try:
        processors = provider._active_span_processor._span_processors
        exporter = processors[0].span_exporter
        assert type(exporter).__module__.startswith("opentelemetry.exporter.otlp.proto.http")
        assert provider.resource.attributes["service.version"] == "1.2.3-test"
    finally:
        provider.shutdown()


class Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(self.headers.get("traceparent", "").encode())

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def traced(redis_server: RedisServer) -> Iterator[tuple[Flask, InMemorySpanExporter]]:
    """An app traced into memory; instrumentation removed afterwards."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    from app.observability import tracing

    app = create_app(make_settings("sqlite://", redis_server.url))
    with app.app_context():
        db.create_all()
    tracing.init_tracing(app, app.config["SETTINGS"], provider=provider)
    yield app, exporter
    FlaskInstrumentor().uninstrument_app(app)
    SQLAlchemyInstrumentor().uninstrument()
    RedisInstrumentor().uninstrument()
    RequestsInstrumentor().uninstrument()
    app.extensions["redis_client"].get().flushdb()


def test_spans_carry_the_request_id_and_logs_the_trace_id(
    traced: tuple[Flask, InMemorySpanExporter], capfd: pytest.CaptureFixture[str]
) -> None:
    app, exporter = traced
    port = service_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    @app.get("/_trace_probe")
    def probe() -> dict[str, str]:
        app.logger.warning("probe ran")
        echoed = requests.get(f"http://127.0.0.1:{port}/", timeout=5).text
        return {"traceparent": echoed}

    try:
        response = app.test_client().get("/api/v1/items", headers={"X-Request-ID": "trace-req-1"})
        assert response.status_code == 200
        probe_response = app.test_client().get(
            "/_trace_probe", headers={"X-Request-ID": "trace-req-2"}
        )
    finally:
        server.shutdown()
        server.server_close()
    spans = exporter.get_finished_spans()
    servers = [s for s in spans if s.attributes.get(REQUEST_ID_ATTRIBUTE) == "trace-req-1"]
    assert len(servers) == 1
    server_span = servers[0]
    children = [s for s in spans if s.parent and s.parent.span_id == server_span.context.span_id]
    kinds = {s.attributes.get("db.system") or s.attributes.get("db.system.name") for s in children}
    assert "sqlite" in kinds  # SQLAlchemy
    assert "redis" in kinds  # the cache lookup
    assert all(s.context.trace_id == server_span.context.trace_id for s in children)

    probe_span = next(s for s in spans if s.attributes.get(REQUEST_ID_ATTRIBUTE) == "trace-req-2")
    outgoing = [
        s
        for s in spans
        if s.parent is not None
        and s.parent.span_id == probe_span.context.span_id
        and s.kind.name == "CLIENT"
        and s.name.startswith("GET")
    ]
    assert len(outgoing) == 1, [s.name for s in spans]  # requests is instrumented
    trace_hex = format(probe_span.context.trace_id, "032x")
    assert trace_hex in probe_response.get_json()["traceparent"]  # propagated downstream
    lines = [json.loads(x) for x in capfd.readouterr().err.splitlines() if x.startswith("{")]
    probe_line = next(line for line in lines if line.get("message") == "probe ran")
    assert probe_line["trace_id"] == trace_hex
    assert probe_line["request_id"] == "trace-req-2"


def test_a_job_continues_the_trace_of_the_request_that_queued_it(
    traced: tuple[Flask, InMemorySpanExporter],
) -> None:
    from rq.job import Job

    from app.jobs.queue import enqueue, get_queue
    from app.worker import build_worker

    app, exporter = traced

    @app.get("/_enqueue_probe")
    def enqueue_probe() -> dict[str, str]:
        return {"job_id": enqueue(print, "traced").id}

    job_id = (
        app.test_client()
        .get("/_enqueue_probe", headers={"X-Request-ID": "job-trace-1"})
        .get_json()["job_id"]
    )
    with app.app_context():
        queue = get_queue()
        job = Job.fetch(job_id, connection=queue.connection)
        assert "traceparent" in job.meta["trace"]
        worker = build_worker(app)
        worker.prepare_execution(job)
        worker.prepare_job_execution(job)
        assert worker.perform_job(job, queue)
    spans = exporter.get_finished_spans()
    request_span = next(
        s
        for s in spans
        if s.attributes.get(REQUEST_ID_ATTRIBUTE) == "job-trace-1" and s.kind.name == "SERVER"
    )
    job_span = next(s for s in spans if s.name == "job builtins.print")
    assert job_span.context.trace_id == request_span.context.trace_id
    assert job_span.attributes["app.request_id"] == "job-trace-1"
