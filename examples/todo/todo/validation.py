"""Reading what a client sent: the JSON body of a new todo and the list's ?limit=."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest, UnprocessableEntity, UnsupportedMediaType

TITLE_MAX = 200
LIMIT_DEFAULT = 20
LIMIT_MAX = 100
NEW_TODO_FIELDS = frozenset({"title"})


def json_object() -> dict[str, Any]:
    """Return the request's JSON object body, or raise the 4xx that says what is wrong."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as application/json.")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # deeply nested arrays: the parser's error is not a ValueError
        body = None
    if body is None:
        raise BadRequest("The body is not valid JSON.")
    if not isinstance(body, dict):
        raise UnprocessableEntity("The body must be a JSON object.")
    return body


def new_title(body: Mapping[str, Any]) -> str:
    """Return the title of a new todo: text of 1 to TITLE_MAX characters, trimmed."""
    unknown = sorted(set(body) - NEW_TODO_FIELDS)
    if unknown:
        raise UnprocessableEntity(f"Unknown field(s): {', '.join(unknown)}.")
    title = body.get("title")
    if not isinstance(title, str):
        raise UnprocessableEntity("title is required and must be a string.")
    title = title.strip()
    if not 1 <= len(title) <= TITLE_MAX:
        raise UnprocessableEntity(f"title must be 1 to {TITLE_MAX} characters long.")
    # Control characters (NUL above all, which PostgreSQL text refuses) and lone surrogates
    # (which cannot be encoded) are not printable: refused here rather than failing later.
    if not title.isprintable():
        raise UnprocessableEntity("title must not contain control characters.")
    return title


def page_limit(args: Mapping[str, str]) -> int:
    """Return ?limit= as an integer from 1 to LIMIT_MAX (LIMIT_DEFAULT when absent)."""
    raw = args.get("limit")
    if raw is None:
        return LIMIT_DEFAULT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= LIMIT_MAX:
        raise BadRequest(f"limit must be an integer from 1 to {LIMIT_MAX}.")
    return int(raw)
