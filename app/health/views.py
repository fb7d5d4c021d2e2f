"""/healthz (is the process alive) and /readyz (can it serve traffic)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g

from app.services.health import run_checks

bp = Blueprint("health", __name__)


@bp.after_request
def _no_store(response: Response) -> Response:
    """Keep probe answers out of every cache: each probe must reach the process."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> dict[str, Any]:
    """Answer while the process runs, without touching any dependency."""
    settings = current_app.config["SETTINGS"]
    return {"status": "ok", "version": settings.app_version, "color": settings.app_color}


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    """Run every readiness check; 503 names the ones that failed."""
    results = run_checks()
    failing = [result.name for result in results if not result.ok]
    checks = {
        result.name: {
            "status": "ok" if result.ok else "fail",
            "duration_ms": result.duration_ms,
            **({"error": result.error} if result.error else {}),
        }
        for result in results
    }
    body: dict[str, Any] = {"status": "fail" if failing else "ok", "checks": checks}
    if failing:
        body["error"] = "not_ready"
        body["message"] = "not ready: " + ", ".join(failing) + " unavailable"
        body["request_id"] = g.get("request_id")
        body["failing"] = failing
    return body, 503 if failing else 200
