"""The languages the app speaks and how a request's language is chosen."""

from __future__ import annotations

from flask import request, session

from app.auth.actor import current_actor

LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT_LOCALE = "en"
SESSION_KEY = "locale"


def select_locale() -> str:
    """Pick the signed-in user's language, else the session's choice, else Accept-Language."""
    try:
        actor = current_actor()
    except Exception:  # a bad token must not break rendering an error page
        actor = None
    for preferred in (actor.locale if actor else None, session.get(SESSION_KEY)):
        if preferred in LANGUAGES:
            return str(preferred)
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LOCALE
