"""i18n with flask-babel: English and French, from the user's preference or Accept-Language."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import format_datetime, format_decimal, get_locale

from app.extensions import babel
from app.i18n.locale import DEFAULT_LOCALE, LANGUAGES, select_locale
from app.i18n.views import bp

TRANSLATIONS = str(Path(__file__).resolve().parent.parent / "translations")


def init_i18n(app: Flask) -> None:
    """Bind flask-babel, expose locale helpers to templates, register the language switch."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=TRANSLATIONS)
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES,
        current_locale=lambda: str(get_locale() or DEFAULT_LOCALE),
        format_datetime=format_datetime,
        format_number=format_decimal,
    )
    app.register_blueprint(bp)
