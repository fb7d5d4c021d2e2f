"""WSGI entry point: `gunicorn -c python:app.gunicorn_conf app.wsgi:app`, FLASK_APP=app.wsgi."""

from __future__ import annotations

import sys

from app import create_app
from app.settings import ConfigError, load_settings

try:
    settings = load_settings()
except ConfigError as exc:
    # One clear line instead of a traceback, then refuse to start.
    print(f"error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None

app = create_app(settings)
