"""Caching: flask-caching (Redis, or in-process without it) with herd protection."""

from __future__ import annotations

from flask import Flask

from app.cache import invalidation
from app.cache.store import init_store
from app.cache.views import cache_endpoints


def init_cache(app: Flask) -> None:
    """Set up cache state, write invalidation and the cached endpoints (after blueprints)."""
    init_store(app)
    invalidation.install()
    cache_endpoints(app)
