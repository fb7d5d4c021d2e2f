"""The reference Flask application: create_app builds it from typed settings."""

from __future__ import annotations

from flask import Flask

from app import models  # noqa: F401  (registers every table before migrations look)
from app.api import register_api
from app.api.blueprint import api
from app.auth import init_auth
from app.cache import init_cache
from app.cli import register_commands
from app.database import drop_closed_connections, engine_options
from app.errors import register_error_handlers
from app.extensions import cache, db, migrate
from app.flask_class import KitFlask
from app.health import init_health
from app.i18n import init_i18n
from app.jobs import init_jobs
from app.observability.context import install_log_context
from app.observability.logging import configure_logging
from app.observability.metrics import init_metrics
from app.observability.requests import init_request_context
from app.observability.tracing import init_tracing
from app.public import auth_bp
from app.public import bp as public_bp
from app.redis_client import redis_client
from app.security import init_security
from app.security.keys import CSRF, SESSION, keys_for
from app.settings import Settings, load_settings
from app.storage import init_storage

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> Flask:
    """Build the application: settings, logging, extensions, blueprints, errors, CLI."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    install_log_context()
    app = KitFlask(__name__)
    app.config.update(flask_config(settings))
    init_request_context(app, settings)
    init_metrics(app)

    db.init_app(app)
    with app.app_context():
        drop_closed_connections(db.engine)
    migrate.init_app(app, db)
    cache.init_app(app)
    redis_client.init_app(app, settings)
    api.init_app(app)
    init_security(app, settings)
    init_i18n(app)
    init_auth(app, settings)

    app.register_blueprint(auth_bp)
    app.register_blueprint(public_bp)
    init_health(app)
    init_storage(app, settings)
    register_api(app)
    init_cache(app)  # wraps registered views: after the blueprints
    init_jobs(app)
    init_tracing(app, settings)
    register_error_handlers(app)
    register_commands(app)
    return app


def flask_config(settings: Settings) -> dict[str, object]:
    """Translate settings into Flask and extension config keys."""
    session_keys, csrf_keys = keys_for(settings, SESSION), keys_for(settings, CSRF)
    return {
        "SETTINGS": settings,
        # Each purpose signs with a key of its own (app/security/keys.py), rotated with fallbacks.
        "SECRET_KEY": session_keys.current,
        "SECRET_KEY_FALLBACKS": list(session_keys.fallbacks),
        "WTF_CSRF_SECRET_KEY": csrf_keys.oldest_first,
        "TESTING": settings.app_env == "testing",
        "MAX_CONTENT_LENGTH": settings.api.max_content_length,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.is_production,
        "SQLALCHEMY_DATABASE_URI": settings.sqlalchemy_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(settings),
        "CACHE_TYPE": "RedisCache" if settings.redis.url else "SimpleCache",
        "CACHE_REDIS_URL": settings.redis.url or None,
        "CACHE_DEFAULT_TIMEOUT": 60,
        "CACHE_KEY_PREFIX": f"kit:{settings.app_version}:",
        # Bounded waits: a dead Redis costs one short timeout, then the cache is bypassed.
        "CACHE_OPTIONS": {
            "socket_connect_timeout": settings.redis.socket_timeout,
            "socket_timeout": settings.redis.socket_timeout,
        }
        if settings.redis.url
        else None,
        "API_TITLE": "Flask deployment kit API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "info": {"description": "Items CRUD of the reference Flask application."}
        },
    }
