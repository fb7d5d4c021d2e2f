"""Flask-Login sessions for the HTML pages."""

# Flask-Login ships no type hints; its decorators keep the signatures they wrap.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from app.extensions import db, login_manager
from app.models import User
from app.services.users import load_active_user

log = logging.getLogger(__name__)


def init_sessions(app: Flask) -> None:
    """Bind Flask-Login: pages that need a user redirect to the sign-in form."""
    # Templates get `viewer` (below), which survives a database outage; Flask-Login's own
    # `current_user` context processor would raise again while an error page renders.
    login_manager.init_app(app, add_context_processor=False)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    # Drop the session when its fingerprint (address, user agent) changes.
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        return load_active_user(user_id)

    @app.context_processor
    def _viewer() -> dict[str, Any]:
        return {"viewer": safe_viewer()}

    @login_manager.unauthorized_handler
    def _unauthorized() -> Response:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def safe_viewer() -> User | None:
    """Return the signed-in user for templates, or None (also when the database is down)."""
    # Error pages render this layout too, so loading the user must never raise again there.
    try:
        return current_user._get_current_object() if current_user.is_authenticated else None
    except Exception:
        log.warning("could not load the signed-in user for the page", exc_info=True)
        db.session.rollback()
        return None
