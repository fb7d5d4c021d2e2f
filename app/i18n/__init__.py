"""i18n with flask-babel: English and French, from the user's preference or Accept-Language."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request, session
from flask_babel import format_datetime, format_decimal, get_locale

from app.extensions import babel

LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT_LOCALE = "en"
SESSION_KEY = "locale"
TRANSLATIONS = str(Path(__file__).resolve().parent.parent / "translations")


def select_locale() -> str:
    """Pick the signed-in user's language, else the session's choice, else Accept-Language."""
    from app.auth.actor import current_actor

    try:
        actor = current_actor()
    except Exception:  # a bad token must not break rendering an error page
        actor = None
    for preferred in (actor.locale if actor else None, session.get(SESSION_KEY)):
        if preferred in LANGUAGES:
            return str(preferred)
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LOCALE


def init_i18n(app: Flask) -> None:
    """Bind flask-babel and expose locale helpers to templates."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=TRANSLATIONS)
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES,
        current_locale=lambda: str(get_locale() or DEFAULT_LOCALE),
        format_datetime=format_datetime,
        format_number=format_decimal,
    )
    from app.i18n.views import bp

    app.register_blueprint(bp)
