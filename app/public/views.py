"""The home page listing recent items."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.services.item_listing import recent_items

bp = Blueprint("public", __name__)


@bp.get("/")
def home() -> str:
    """Show the newest items."""
    return render_template("home.html", items=recent_items(limit=10))
