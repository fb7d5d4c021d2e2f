"""Health under /_status/: liveness with the release's identity, and readiness."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError

from todo import store
from todo.runtime import runtime

log = logging.getLogger(__name__)
status = Blueprint("status", __name__, url_prefix="/_status")


@status.get("/live")
def live() -> Response:
    """The process serves requests; say which release and slot it is (no database call)."""
    settings = runtime().settings
    return jsonify(state="up", release=settings.release, slot=settings.slot)


@status.get("/ready")
def ready() -> tuple[Response, int]:
    """Ready when the database answers SELECT 1; else 503, naming neither host nor error."""
    try:
        with runtime().engine.connect() as conn:
            store.database_answers(conn)
    except SQLAlchemyError as exc:
        log.warning("not ready: database check failed (%s)", type(exc).__name__)
        return jsonify(state="unavailable", database="unreachable"), 503
    return jsonify(state="ready", database="ok"), 200
