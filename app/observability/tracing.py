"""OpenTelemetry tracing: off unless the standard OTEL_* variables ask for it.

Enabled when OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
OTEL_TRACES_EXPORTER=otlp is set, unless OTEL_SDK_DISABLED=true. The OTLP/HTTP exporter reads
its endpoint, headers and timeout from the same variables. Flask, SQLAlchemy, Redis and
requests are instrumented; each server span carries the request id.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask, g
from opentelemetry import trace
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from app.extensions import db
from app.settings import Settings

REQUEST_ID_ATTRIBUTE = "app.request_id"


def tracing_enabled(env: Mapping[str, str] | None = None) -> bool:
    """Tell whether the environment asks for traces."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    return bool(
        exporter
        or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def build_provider(settings: Settings, processor: SpanProcessor | None = None) -> TracerProvider:
    """Return a provider exporting with PROCESSOR, by default batched OTLP over HTTP."""
    resource = Resource.create(
        {
            "service.name": os.environ.get("OTEL_SERVICE_NAME", "flask-deploy-kit"),
            "service.version": settings.app_version,
            "deployment.color": settings.app_color or "none",
        }
    )
    provider = TracerProvider(resource=resource)
    if processor is None:
        # Imported only when exporting: the exporter pulls in protobuf and requests, which
        # a process with tracing off (the default) never needs.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(OTLPSpanExporter())
    provider.add_span_processor(processor)
    return provider


def init_tracing(
    app: Flask, settings: Settings, provider: TracerProvider | None = None
) -> TracerProvider | None:
    """Instrument APP when tracing is enabled (or a PROVIDER is given, as tests do)."""
    if provider is None:
        if not tracing_enabled():
            return None
        provider = build_provider(settings)
        trace.set_tracer_provider(provider)
    FlaskInstrumentor().instrument_app(  # type: ignore[no-untyped-call]
        app, tracer_provider=provider, excluded_urls="healthz,readyz,metrics"
    )
    with app.app_context():
        # The instrumentation declares sqlalchemy < 2.1; its engine events work on 2.1 (tested).
        SQLAlchemyInstrumentor().instrument(
            engine=db.engine, tracer_provider=provider, skip_dep_check=True
        )
    if not RedisInstrumentor().is_instrumented_by_opentelemetry:
        RedisInstrumentor().instrument(tracer_provider=provider)
    if not RequestsInstrumentor().is_instrumented_by_opentelemetry:
        RequestsInstrumentor().instrument(tracer_provider=provider)

    @app.before_request
    def _tag_span() -> None:
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute(REQUEST_ID_ATTRIBUTE, g.get("request_id") or "")

    app.extensions["tracer_provider"] = provider
    return provider
