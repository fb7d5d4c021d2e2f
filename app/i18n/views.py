"""POST /preferences/language: remember the chosen language."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.i18n.locale import LANGUAGES, SESSION_KEY
from app.public.auth import safe_next
from app.services.users import set_locale

bp = Blueprint("i18n", __name__)


@bp.post("/preferences/language")
def choose_language() -> Response:
    """Store the language on the account (signed in) or the session, then go back."""
    choice = request.form.get("locale", "")
    if choice not in (*LANGUAGES, "auto"):
        abort(400, description="Unknown language.")
    locale = None if choice == "auto" else choice
    if current_user.is_authenticated:
        set_locale(current_user._get_current_object(), locale)
    if locale is None:
        session.pop(SESSION_KEY, None)
    else:
        session[SESSION_KEY] = locale
    return redirect(safe_next(request.form.get("next")) or url_for("public.home"))
