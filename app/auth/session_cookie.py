"""Flask's signed-cookie sessions, minus the work a request does not need.

Flask builds a new signing serializer (key derivation included) on every request; this one
keeps it per key set. Probes (app/probes.py) get no session at all: nothing is read from the
cookie and no Set-Cookie can leave, whatever a hook tries.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from app.probes import PROBE_PATHS

MAX_KEY_SETS = 8  # tests build many apps; a process serves one key set (two while rotating)


class LeanSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions with a cached serializer, and none for probes."""

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Return the serializer of APP's current keys, built once per key set."""
        if not app.secret_key:
            return None
        key = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        found = self._serializers.get(key)
        if found is None:
            found = super().get_signing_serializer(app)
            if found is None:  # pragma: no cover - checked above
                return None
            if len(self._serializers) >= MAX_KEY_SETS:
                self._serializers.clear()
            self._serializers[key] = found
        return found

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Read the session cookie, except on probes (None: Flask's read-only null session)."""
        if request.path in PROBE_PATHS:
            return None
        return super().open_session(app, request)
