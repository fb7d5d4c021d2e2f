"""Idempotency-Key on writes: the same write sent again is done once and answered the same.

A client that lost the answer to a write (a connection closed before any answer, a timeout)
cannot know whether it was done. With an `Idempotency-Key` header (IETF
draft-ietf-httpapi-idempotency-key-header) it may send the same request again: the first one
is recorded in PostgreSQL before it runs, and its answer when it ends; a second one with the
same key gets that answer again (`Idempotent-Replayed: true`), 409 while the first still
runs, and 422 when the key was used for a different request. A write that ended in a 5xx or
an exception leaves no record, so it can be sent again. Keys are per user and kept for a day.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Flask, Response, make_response, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest, Conflict, UnprocessableEntity

from app.auth import current_actor
from app.endpoints import wrap_endpoints
from app.extensions import db
from app.models import IdempotencyRecord
from app.models.base import utcnow
from app.models.idempotency import KEY_MAX

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEPT_FOR = timedelta(days=1)
# Endpoint -> the methods whose writes honour the header.
IDEMPOTENT_ENDPOINTS = {
    "items.Items": {"POST"},
    "items.ItemById": {"PATCH"},
    "uploads.Uploads": {"POST"},
}
# The header in the OpenAPI document of each of those operations.
IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": KEY_MAX},
    "description": "Send the same write again safely: done once, its answer given again "
    "(Idempotent-Replayed: true); 409 while the first runs, 422 if used for another request.",
}
_KEY = re.compile(rf"[\x21-\x7e]{{1,{KEY_MAX}}}")  # visible ASCII, as the draft's sf-string


def fingerprint() -> str:
    """Hash what makes two requests the same write: method, path, query and body."""
    digest = hashlib.sha256()
    for part in (request.method, request.full_path, request.get_data(cache=True)):
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def replay(record: IdempotencyRecord, print_: str) -> Response:
    """Answer a key seen before: its answer again, or why it cannot be given."""
    if record.fingerprint != print_:
        raise UnprocessableEntity(f"{HEADER} was already used for a different request.")
    if record.status is None:
        raise Conflict(f"A request with this {HEADER} is still being processed.")
    response = Response(record.body or "", status=record.status, mimetype="application/json")
    response.headers[REPLAYED] = "true"
    return response


def claim(user_id: int, key: str, print_: str) -> int | Response:
    """Record the key before the write runs; return its id, or the earlier request's answer."""
    db.session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.created_at < utcnow() - KEPT_FOR
        )
    )
    record = IdempotencyRecord(user_id=user_id, key=key, fingerprint=print_)
    db.session.add(record)
    try:
        db.session.commit()
    except IntegrityError:  # seen before, or being claimed right now by the same key
        db.session.rollback()
        earlier = db.session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
            )
        )
        if earlier is None:  # claimed and released meanwhile: the client may send it again
            raise Conflict(f"A request with this {HEADER} just ended; send it again.") from None
        return replay(earlier, print_)
    return record.id


def settle(record_id: int, response: Response | None) -> None:
    """Keep the write's answer under its key, or drop the key when the write did not end."""
    db.session.rollback()  # whatever the view left behind is not ours to commit
    if response is None or response.status_code >= 500:
        db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    else:
        db.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == record_id)
            .values(status=response.status_code, body=response.get_data(as_text=True))
        )
    db.session.commit()


def idempotent_view(view: Callable[..., Any], methods: set[str]) -> Callable[..., Any]:
    """Wrap VIEW so that its writes in METHODS honour the Idempotency-Key header."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None or request.method not in methods:
            return view(*args, **kwargs)
        key = key.strip('"')  # the draft sends it as a structured-field string
        if not _KEY.fullmatch(key):
            raise BadRequest(f"{HEADER} must be 1 to {KEY_MAX} visible ASCII characters.")
        actor = current_actor()
        if actor is None:
            return view(*args, **kwargs)  # refused as anonymous by the view itself
        claimed = claim(actor.id, key, fingerprint())
        if isinstance(claimed, Response):
            return claimed
        response: Response | None = None
        try:
            response = make_response(view(*args, **kwargs))
        finally:
            settle(claimed, response)
        return response

    return wrapper


def idempotent_endpoints(app: Flask) -> None:
    """Wrap every endpoint named in IDEMPOTENT_ENDPOINTS that the app has."""
    wrap_endpoints(
        app,
        {e: functools.partial(idempotent_view, methods=m) for e, m in IDEMPOTENT_ENDPOINTS.items()},
    )
