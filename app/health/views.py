"""/healthz (is the process alive) and /readyz (can it serve traffic)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g

from app.health.checks import run_checks

bp = Blueprint("health", __name__)


# Keep probe answers out of every cache: each probe must reach the process. Returned by each
# view rather than set by a blueprint hook, which would cost every probe a hook dispatch.
NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Answer while the process runs, without touching any dependency."""
    settings = current_app.config["SETTINGS"]
    body = {"status": "ok", "version": settings.app_version, "color": settings.app_color}
    return body, 200, NO_STORE


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Run every check: 503 names the failing required ones; optional ones only degrade."""
    # The body is public: per check only its state, whether it is required and its duration.
    # What went wrong is in the log line of the same request id (app/health/checks.py).
    results = run_checks()
    failing = [result.name for result in results if result.state == "fail"]
    degraded = [result.name for result in results if result.state == "degraded"]
    checks = {
        result.name: {
            "status": result.state,
            "required": result.required,
            "duration_ms": result.duration_ms,
        }
        for result in results
    }
    status = "fail" if failing else "degraded" if degraded else "ok"
    body: dict[str, Any] = {"status": status, "checks": checks}
    if degraded:
        body["degraded"] = degraded
    if failing:
        body["error"] = "not_ready"
        body["message"] = "not ready: " + ", ".join(failing) + " unavailable"
        body["request_id"] = g.get("request_id")
        body["failing"] = failing
    return body, 503 if failing else 200, NO_STORE
