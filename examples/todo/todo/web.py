"""The WSGI entry: `application`, built by create_app() from the environment."""

from __future__ import annotations

import logging

from flask import Flask

from todo.api import api
from todo.errors import install_error_handlers
from todo.headers import stamp_responses
from todo.runtime import Runtime
from todo.settings import Settings
from todo.status import status
from todo.store import make_engine

# A new todo is a short JSON object: anything bigger is refused (413) before it is read.
MAX_BODY_BYTES = 16 * 1024
LOG_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"


def log_to_stderr(level: str) -> None:
    """Send the service's own log lines (todo.*) to stderr, gunicorn's error log, at level."""
    logger = logging.getLogger("todo")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        logger.addHandler(handler)
    logger.setLevel(level)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app: JSON API and health routes, identity headers, JSON errors."""
    settings = settings or Settings.from_env()
    # Before Flask's logger exists: it then finds this handler and adds none of its own.
    log_to_stderr(settings.log_level)
    # No static folder: the service serves JSON only.
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    Runtime(settings, make_engine(settings.database_url)).attach(app)
    stamp_responses(app, settings)
    install_error_handlers(app)
    app.register_blueprint(status)
    app.register_blueprint(api)
    return app


application = create_app()
