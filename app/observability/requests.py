"""Request ids, version headers and the per-request log line."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from app.settings import Settings

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's id only if it is short and harmless to echo into logs and headers.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

log = logging.getLogger("app.request")


def incoming_request_id() -> str:
    """Return the caller's X-Request-ID when valid, else a new random id."""
    candidate = request.headers.get(REQUEST_ID_HEADER, "")
    if _VALID_REQUEST_ID.match(candidate):
        return candidate
    return uuid.uuid4().hex


def init_request_context(app: Flask, settings: Settings) -> None:
    """Register the hooks that tag every request and response."""
    version, color, log_requests = settings.app_version, settings.app_color, settings.log_requests

    @app.before_request
    def _start() -> None:
        g.request_id = incoming_request_id()
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = g.get("request_id") or incoming_request_id()
        response.headers[REQUEST_ID_HEADER] = request_id
        response.headers["X-App-Version"] = version
        response.headers["X-App-Color"] = color
        # isEnabledFor first: with the line off (gunicorn writes its own) no record is built.
        if log_requests and log.isEnabledFor(logging.INFO):
            started = g.get("started", time.perf_counter())
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
        return response
