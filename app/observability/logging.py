"""JSON-line logging shared by the app and gunicorn."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from flask import g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

# Every line carries these keys (null when not in a request), in this order.
FIELDS = ("level", "logger", "message", "request_id", "method", "path", "status", "duration_ms")


class RequestContextFilter(logging.Filter):
    """Copy the current request's id, method and path onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate the record; never drop it."""
        if has_request_context():
            record.__dict__.setdefault("request_id", g.get("request_id"))
            record.__dict__.setdefault("method", request.method)
            record.__dict__.setdefault("path", request.path)
        for field in ("request_id", "method", "path", "status", "duration_ms"):
            record.__dict__.setdefault(field, None)
        return True


class StderrHandler(logging.StreamHandler[TextIO]):
    """Write to whatever sys.stderr is when a record is emitted (test runners swap it)."""

    @property
    def stream(self) -> TextIO:
        """Return the current sys.stderr."""
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignore: the stream is always the current sys.stderr."""


def json_formatter() -> JsonFormatter:
    """Build the formatter every handler uses."""
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s %(request_id)s %(method)s %(path)s"
        " %(status)s %(duration_ms)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


def json_handler() -> logging.Handler:
    """Return a stderr handler writing JSON lines with request context."""
    handler = StderrHandler()
    handler.setFormatter(json_formatter())
    handler.addFilter(RequestContextFilter())
    return handler


def configure_logging(level: str) -> None:
    """Send every logger's output to stderr as JSON lines at LEVEL."""
    root = logging.getLogger()
    # Replace (not add to) earlier handlers so repeated app creation never doubles lines.
    for handler in list(root.handlers):
        if getattr(handler, "_kit_json", False):
            root.removeHandler(handler)
    handler = json_handler()
    handler._kit_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Our own request line replaces werkzeug's plain-text one.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
