"""Cache keys: per version (via CACHE_KEY_PREFIX), locale, user and data generation."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from flask import current_app, request
from flask_babel import get_locale

from app.auth import current_actor
from app.cache import store

ITEMS = "items"  # the generation bumped by writes to items and users


def current_locale() -> str:
    """Return the request's locale as flask-babel chose it."""
    return str(get_locale() or "en")


def current_user_part() -> str:
    """Return 'u<id>' for a signed-in caller, 'anon' otherwise."""
    actor = current_actor()
    return f"u{actor.id}" if actor is not None else "anon"


def make_key(name: str, parts: Iterable[str] = ()) -> str:
    """Return the key of NAME for this request (version is in CACHE_KEY_PREFIX)."""
    args = sorted(request.args.items(multi=True))
    digest = hashlib.sha256(repr((list(parts), args)).encode()).hexdigest()[:24]
    version = current_app.config["SETTINGS"].app_version
    return (
        f"{name}:{version}:g{store.generation(ITEMS)}:{current_locale()}"
        f":{current_user_part()}:{digest}"
    )
