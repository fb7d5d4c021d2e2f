"""/api/v1/docs: Swagger UI served from the app's own static files (no CDN)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__)


@bp.get("/docs")
def docs() -> str:
    """Render the interactive API documentation."""
    return render_template("api/docs.html")
