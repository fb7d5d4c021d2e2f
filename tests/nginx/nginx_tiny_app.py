"""A tiny WSGI app standing in for a colour: it reports what Nginx passed it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

COLOUR = os.environ.get("APP_COLOR", "")


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Echo the request's path, forwarded headers and body size as JSON."""
    size = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(size) if size else b""
    payload: dict[str, Any] = {
        "color": COLOUR,
        "path": environ["PATH_INFO"],
        "request_id": environ.get("HTTP_X_REQUEST_ID"),
        "forwarded_proto": environ.get("HTTP_X_FORWARDED_PROTO"),
        "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
        "size": len(body),
    }
    if environ["PATH_INFO"] == "/big":
        payload["filler"] = ["lorem ipsum dolor sit amet"] * 200
    data = json.dumps(payload).encode()
    start_response(
        "200 OK",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("X-App-Color", COLOUR),
            # Nginx must replace these with its own single copy.
            ("X-Request-ID", "set-by-app"),
            ("X-Frame-Options", "SAMEORIGIN"),
        ],
    )
    return [data]
