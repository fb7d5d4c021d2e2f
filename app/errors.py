"""Error handlers: JSON for the API and probes, an HTML page for browsers."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import redis
from flask import Flask, Response, g, jsonify, render_template, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.services.errors import ServiceError

log = logging.getLogger(__name__)

# Error codes clients can switch on; anything else is the snake-cased HTTP reason.
CODES = {
    413: "payload_too_large",
    422: "validation_error",
    500: "internal_error",
    503: "service_unavailable",
}
JSON_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics")
RETRY_AFTER_SECONDS = "5"


def wants_html() -> bool:
    """Tell whether this request should get an HTML error page."""
    if request.path.startswith(JSON_PREFIXES):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def error_response(
    status: int,
    message: str,
    code: str | None = None,
    errors: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[Response | str, int, dict[str, str]]:
    """Build the error body every handler returns."""
    code = code or CODES.get(status) or _reason_code(status)
    headers = dict(headers or {})
    if wants_html():
        page = render_template("errors/error.html", status=status, code=code, message=message)
        return page, status, headers
    body: dict[str, Any] = {"error": code, "message": message, "request_id": g.get("request_id")}
    if errors:
        body["errors"] = errors
    return jsonify(body), status, headers


def _reason_code(status: int) -> str:
    """Turn an HTTP reason phrase into a snake_case code."""
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def handle_http_exception(exc: HTTPException) -> Any:
    """Render werkzeug and flask-smorest HTTP errors in our shape."""
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors = data.get("messages")
    message = exc.description or ""
    if status == 422 and errors:
        message = "The request failed validation; see errors."
    elif status == 400 and errors:
        message = _first_message(errors) or message
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    return error_response(status, message, errors=errors, headers=headers)


def _first_message(errors: Any) -> str | None:
    """Return the first human message from webargs' nested error dict."""
    while isinstance(errors, dict) and errors:
        errors = next(iter(errors.values()))
    if isinstance(errors, list) and errors and isinstance(errors[0], str):
        return errors[0]
    return None


def handle_service_error(exc: ServiceError) -> Any:
    """Map a service-layer failure to its status."""
    return error_response(exc.status, exc.message, code=exc.code, errors=exc.errors)


def handle_dependency_error(exc: Exception) -> Any:
    """Answer 503 quickly when the database or Redis is unreachable."""
    dependency = "redis" if isinstance(exc, redis.RedisError) else "database"
    log.warning("dependency unavailable: %s: %s", dependency, type(exc).__name__)
    if dependency == "database":
        _discard_session()
    return error_response(
        503,
        f"The {dependency} is unavailable; retry shortly.",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def handle_integrity_error(exc: sa_exc.IntegrityError) -> Any:
    """Answer 409 for a uniqueness or reference conflict the service did not foresee."""
    _discard_session()
    log.info("integrity error: %s", exc.orig)
    return error_response(409, "The request conflicts with existing data.")


def handle_data_error(exc: sa_exc.DataError) -> Any:
    """Answer 400 when the database refuses a value the schemas let through."""
    _discard_session()
    log.warning("data error: %s", str(exc.orig).splitlines()[0] if exc.orig else exc)
    return error_response(400, "The request contains a value the database cannot store.")


def handle_unexpected(exc: Exception) -> Any:
    """Log a bug with its traceback and answer a JSON 500 without details."""
    log.exception("unhandled exception")
    _discard_session()
    return error_response(500, "An unexpected error occurred.")


def _discard_session() -> None:
    """Roll back the request's session so the connection returns to the pool clean."""
    try:
        db.session.rollback()
    except Exception:  # the connection may be gone; the pool will replace it
        log.debug("rollback failed", exc_info=True)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; runs after flask-smorest so ours take precedence."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(sa_exc.IntegrityError, handle_integrity_error)
    app.register_error_handler(sa_exc.DataError, handle_data_error)
    for dependency_error in (
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.TimeoutError,
        redis.ConnectionError,
        redis.TimeoutError,
    ):
        app.register_error_handler(dependency_error, handle_dependency_error)
    app.register_error_handler(Exception, handle_unexpected)
