"""CSRF protection for every cookie-authenticated write, pages and API alike."""

from __future__ import annotations

from typing import Any

from flask import Flask, request, session
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from app.errors import error_response
from app.extensions import csrf

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
HEADER = "X-CSRFToken"


def enforce_csrf() -> None:
    """Check the CSRF token on writes that a browser could be tricked into sending."""
    # Bearer-token API calls are exempt (a browser never attaches that header by itself),
    # and so are API calls without a signed-in session (nothing ambient to abuse; they
    # get their 401 from the view).
    if request.method in SAFE_METHODS:
        return
    if request.path.startswith("/api/") and (
        "Authorization" in request.headers or "_user_id" not in session
    ):
        return
    csrf.protect()


def handle_csrf_error(exc: CSRFError) -> Any:
    """Explain a missing or stale token without a traceback (HTML page or JSON)."""
    message = _(
        "This form has expired or did not come from this site. Reload the page and try again."
    )
    return error_response(400, message, code="csrf_failed")


def _is_flask_wtf_hook(hook: Any) -> bool:
    """Tell whether hook is the before-request check that CSRFProtect.init_app registers."""
    return getattr(hook, "__module__", "") == "flask_wtf.csrf" and hook.__name__ == "csrf_protect"


def init_csrf(app: Flask) -> None:
    """Bind Flask-WTF's CSRF protection, checked by our own hook instead of on every view."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_HEADERS", [HEADER, "X-CSRF-Token"])
    csrf.init_app(app)
    if not app.config["WTF_CSRF_CHECK_DEFAULT"]:
        # Flask-WTF's own hook returns at once without its default check: dropping it saves
        # every request a hook dispatch. enforce_csrf below is the check.
        hooks = app.before_request_funcs.get(None, [])
        app.before_request_funcs[None] = [h for h in hooks if not _is_flask_wtf_hook(h)]
    app.before_request(enforce_csrf)
    app.register_error_handler(CSRFError, handle_csrf_error)
