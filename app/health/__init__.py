"""Liveness and readiness: /healthz, /readyz, their checks and app_dependency_up."""

from __future__ import annotations

from flask import Flask

from app.health.checks import register_builtin_checks
from app.health.metrics import ReadinessCollector
from app.health.views import bp
from app.observability.metrics import register_collector


def init_health(app: Flask) -> None:
    """Register the probes, the built-in checks and the readiness series of /metrics."""
    register_builtin_checks(app)
    app.register_blueprint(bp)
    register_collector(app, ReadinessCollector())
