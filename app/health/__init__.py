"""Liveness and readiness probes."""

from app.health.views import bp

__all__ = ["bp"]
