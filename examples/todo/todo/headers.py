"""Headers on every response: which release and slot answered, and the request's id."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request

from todo.settings import Settings

RELEASE_HEADER = "X-Release"
SLOT_HEADER = "X-Slot"
REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is kept when it looks like one (the same rule as the kit's Nginx), so logs
# correlate end to end; anything else is replaced, so it cannot inject into logs or headers.
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id() -> str:
    """Return this request's id: the caller's when acceptable, else a new one."""
    if "request_id" not in g:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if _ACCEPTED_ID.fullmatch(offered) else uuid.uuid4().hex
    return str(g.request_id)


def stamp_responses(app: Flask, settings: Settings) -> None:
    """Add the release, slot and request id headers to every response, errors included."""

    @app.after_request
    def _stamp(response: Response) -> Response:
        response.headers[RELEASE_HEADER] = settings.release
        response.headers[SLOT_HEADER] = settings.slot
        response.headers[REQUEST_ID_HEADER] = request_id()
        return response
