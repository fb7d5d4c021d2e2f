"""Authentication and authorization: sessions for pages, JWTs for the API, roles."""

from __future__ import annotations

from flask import Flask

from app.auth.actor import current_actor, login_required_api, require_owner_or_admin, role_required
from app.auth.sessions import init_sessions
from app.auth.tokens import init_tokens
from app.auth.views import bp as pages_bp
from app.extensions import api as smorest_api
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
    """Bind Flask-Login and flask-jwt-extended, and register the sign-in pages."""
    auth = settings.auth
    configure_hasher(auth.argon2_time_cost, auth.argon2_memory_kib, auth.argon2_parallelism)
    init_sessions(app)
    init_tokens(app, settings)
    app.register_blueprint(pages_bp)
    # Swagger UI's "Authorize" button: bearer JWTs from /api/v1/auth/token.
    smorest_api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
