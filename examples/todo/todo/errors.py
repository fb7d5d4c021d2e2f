"""Every error answers in JSON: HTTP errors (404, 405, 413...) and an unreachable database."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from todo.headers import request_id

log = logging.getLogger(__name__)


def error_response(exc: HTTPException) -> Response:
    """Turn an HTTP error into a JSON body, keeping its status and headers (Allow on 405)."""
    response = jsonify(
        status=exc.code,
        error=exc.name,
        message=exc.description,
        request_id=request_id(),
    )
    response.status_code = exc.code or 500
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def database_unavailable(exc: OperationalError) -> Response:
    """Answer 503 when the database cannot be reached; the details go to the log only."""
    log.warning("database unavailable: %s", type(exc.orig).__name__)
    return error_response(ServiceUnavailable("The database is unavailable, retry later."))


def install_error_handlers(app: Flask) -> None:
    """Register the JSON error handlers (an unhandled exception arrives as a 500 here)."""
    app.register_error_handler(HTTPException, error_response)
    app.register_error_handler(OperationalError, database_unavailable)
