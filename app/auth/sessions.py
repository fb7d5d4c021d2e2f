"""Flask-Login sessions for the HTML pages, each backed by a row of user_sessions.

The signed cookie alone would stay valid until it expires, whatever happens: a copy of it
survives sign-out. So the cookie also carries a random session token whose SHA-256 is a row of
user_sessions; a session is signed in only while its row exists and has not expired. Sign-out
deletes the row, and so do a password change, a promotion and "sign out everywhere".
"""

# Flask-Login ships no type hints; its decorators keep the signatures they wrap.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete
from werkzeug.wrappers import Response

from app.auth.session_cookie import LeanSessionInterface
from app.extensions import db, login_manager
from app.models import User, UserSession
from app.models.base import utcnow
from app.services.users import load_active_user
from app.settings import Settings

log = logging.getLogger(__name__)
SESSION_KEY = "sid"  # the cookie's entry holding the server-side session's token


def init_sessions(app: Flask, settings: Settings) -> None:
    """Bind Flask-Login: pages that need a user redirect to the sign-in form."""
    app.session_interface = LeanSessionInterface()
    # Also bounds the signed cookie itself (Flask refuses an older signature).
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=settings.auth.session_hours)
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
        user = load_active_user(user_id)
        return user if user is not None and _session_is_live(user) else None

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


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session_is_live(user: User) -> bool:
    """Tell whether this request's session token names a live session of USER."""
    token = session.get(SESSION_KEY)
    row = db.session.get(UserSession, _digest(token)) if isinstance(token, str) else None
    return row is not None and row.user_id == user.id and row.expires_at > utcnow()


def start_session(user: User) -> None:
    """Sign USER in on a fresh session (no state carried over) backed by a new session row."""
    lifetime = current_app.permanent_session_lifetime
    token = secrets.token_urlsafe(32)
    db.session.execute(delete(UserSession).where(UserSession.expires_at < utcnow()))
    db.session.add(UserSession(id=_digest(token), user_id=user.id, expires_at=utcnow() + lifetime))
    db.session.commit()
    session.clear()
    session[SESSION_KEY] = token
    login_user(user)


def end_session() -> None:
    """Sign out: delete this session's row, so a copy of the cookie is worth nothing."""
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        db.session.execute(delete(UserSession).where(UserSession.id == _digest(token)))
        db.session.commit()
    logout_user()
    session.clear()
