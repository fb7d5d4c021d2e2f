"""The versioned JSON API mounted at /api/v1."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import UnsupportedMediaType

from app.api.docs import bp as docs_bp
from app.api.items import blp as items_blp
from app.extensions import api

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def require_json_body() -> None:
    """Refuse API writes whose body is not declared as JSON (415)."""
    if request.method in BODY_METHODS and not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")


def register_api(app: Flask) -> None:
    """Register the API blueprints with flask-smorest and the docs page."""
    items_blp.before_request(require_json_body)
    api.register_blueprint(items_blp, url_prefix="/api/v1/items")
    app.register_blueprint(docs_bp, url_prefix="/api/v1")
