"""Authentication and authorization: sessions for pages, JWTs for the API, roles.

The mechanics only; the sign-in API, its schemas, the account use cases and the sign-in pages
live in their layers (api/auth.py, schemas/auth.py, services/users.py, public/auth.py).
"""

from __future__ import annotations

from flask import Flask

from app.auth.actor import current_actor, login_required_api, require_owner_or_admin, role_required
from app.auth.sessions import init_sessions
from app.auth.tokens import init_tokens
from app.security.passwords import configure_hasher
from app.settings import Settings

__all__ = [
    "current_actor",
    "init_auth",
    "login_required_api",
    "require_owner_or_admin",
    "role_required",
]


def init_auth(app: Flask, settings: Settings) -> None:
    """Bind Flask-Login and flask-jwt-extended with the configured password hashing."""
    auth = settings.auth
    configure_hasher(auth.argon2_time_cost, auth.argon2_memory_kib, auth.argon2_parallelism)
    init_sessions(app, settings)
    init_tokens(app, settings)
