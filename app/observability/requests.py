"""Request ids, version headers and the per-request log line."""

from __future__ import annotations

import logging
import os
import re
import time

from flask import Flask, Response, g, request

from app.response_headers import put_headers
from app.settings import Settings

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_ENVIRON = "HTTP_X_REQUEST_ID"  # the header as WSGI hands it over
# Accept a caller's id only if it is short and harmless to echo into logs and headers.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

log = logging.getLogger("app.request")


def incoming_request_id() -> str:
    """Return the caller's X-Request-ID when valid, else a new random id (32 hex digits)."""
    # Read from the WSGI environ: request.headers would build its header view per request.
    candidate: str = request.environ.get(REQUEST_ID_ENVIRON, "")
    if _VALID_REQUEST_ID.match(candidate):
        return candidate
    return os.urandom(16).hex()  # as random as uuid4().hex, without building a UUID


def init_request_context(app: Flask, settings: Settings) -> None:
    """Register the hooks that tag every request and response."""
    version, color, log_requests = settings.app_version, settings.app_color, settings.log_requests

    @app.before_request
    def _start() -> None:
        context = g._get_current_object()  # one proxy lookup for both
        context.request_id = incoming_request_id()
        context.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        context = g._get_current_object()
        request_id = context.get("request_id") or incoming_request_id()
        put_headers(
            response.headers,
            ((REQUEST_ID_HEADER, request_id), ("X-App-Version", version), ("X-App-Color", color)),
        )
        # isEnabledFor first: with the line off (gunicorn writes its own) no record is built.
        if log_requests and log.isEnabledFor(logging.INFO):
            started = context.get("started", time.perf_counter())
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
        return response
