"""The versioned JSON API mounted at /api/v1."""

from __future__ import annotations

from flask import Flask

from app.api.docs import bp as docs_bp
from app.api.items import blp as items_blp
from app.extensions import api


def register_api(app: Flask) -> None:
    """Register the API blueprints with flask-smorest, and the docs page."""
    api.register_blueprint(items_blp, url_prefix="/api/v1/items")
    app.register_blueprint(docs_bp, url_prefix="/api/v1")
