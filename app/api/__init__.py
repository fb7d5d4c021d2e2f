"""The versioned JSON API mounted at /api/v1."""

from __future__ import annotations

from flask import Flask

from app.api.auth import blp as auth_blp
from app.api.blueprint import api
from app.api.docs import bp as docs_bp
from app.api.idempotency import idempotent_endpoints
from app.api.items import blp as items_blp
from app.api.stats import blp as stats_blp
from app.api.uploads import blp as uploads_blp


def register_api(app: Flask) -> None:
    """Register the resources and the bearer scheme with the bound Api, and the docs page."""
    # Swagger UI's "Authorize" button: bearer JWTs from /api/v1/auth/token.
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    api.register_blueprint(items_blp, url_prefix="/api/v1/items")
    api.register_blueprint(stats_blp, url_prefix="/api/v1/stats")
    api.register_blueprint(uploads_blp, url_prefix="/api/v1/uploads")
    api.register_blueprint(auth_blp, url_prefix="/api/v1/auth")
    app.register_blueprint(docs_bp, url_prefix="/api/v1")
    idempotent_endpoints(app)  # around the registered views: a replayed write never reruns
