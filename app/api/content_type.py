"""Refuse API writes whose body is not JSON."""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import UnsupportedMediaType

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def require_json_body() -> None:
    """Answer 415 unless a write declares its body as JSON (webargs would just see no body)."""
    if request.method in BODY_METHODS and not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")
