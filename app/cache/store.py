"""Cache access that degrades to no cache when Redis fails, and generation counters."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from flask import Flask, current_app

from app.extensions import cache
from app.redis_client import redis_client

log = logging.getLogger(__name__)

MISSING = object()
# After a Redis error the cache is bypassed for this long, so an outage costs one timeout
# per process and period instead of one (or three) per request.
BYPASS_SECONDS = 5.0
# Shared by every app version: a write made through blue must invalidate green's entries too
# (the entries themselves are per version through CACHE_KEY_PREFIX).
GENERATION_KEY = "kit:cache-generation:{name}"


class CacheState:
    """Per-app cache bookkeeping: the bypass window and in-process generations."""

    def __init__(self, uses_redis: bool) -> None:
        self.uses_redis = uses_redis
        self.bypass_until = 0.0
        self.generations: dict[str, int] = {}
        self.lock = threading.Lock()

    @property
    def available(self) -> bool:
        """Tell whether the cache may be used right now."""
        return time.monotonic() >= self.bypass_until

    def failed(self, exc: Exception) -> None:
        """Bypass the cache for a while after a backend error."""
        if self.available:
            log.warning("cache unavailable, serving uncached: %s", type(exc).__name__)
        self.bypass_until = time.monotonic() + BYPASS_SECONDS


def state() -> CacheState:
    """Return the current app's cache state."""
    return current_app.extensions["kit_cache"]  # type: ignore[no-any-return]


def init_store(app: Flask) -> None:
    """Attach the cache state to APP."""
    app.extensions["kit_cache"] = CacheState(uses_redis=redis_client.configured)


def get(key: str) -> Any:
    """Return the cached value or MISSING (also when the backend is down)."""
    current = state()
    if not current.available:
        return MISSING
    try:
        # flask-caching cannot tell a cached None from a miss; values here are never None.
        value = cache.get(key)
    except redis.RedisError as exc:
        current.failed(exc)
        return MISSING
    return MISSING if value is None else value


def put(key: str, value: Any, timeout: int) -> None:
    """Store a value; a backend failure only means it is not cached."""
    current = state()
    if not current.available:
        return
    try:
        cache.set(key, value, timeout=timeout)
    except redis.RedisError as exc:
        current.failed(exc)


def generation(name: str) -> int:
    """Return the generation of NAME's data; bumped on every write that changes it."""
    current = state()
    if not current.uses_redis:
        return current.generations.get(name, 0)
    if not current.available:
        return -1
    try:
        raw = redis_client.get().get(GENERATION_KEY.format(name=name))
    except redis.RedisError as exc:
        current.failed(exc)
        return -1
    return int(raw or 0)  # type: ignore[arg-type]


def bump(name: str) -> None:
    """Invalidate every cached entry derived from NAME's data."""
    current = state()
    with current.lock:
        current.generations[name] = current.generations.get(name, 0) + 1
    if not current.uses_redis:
        return
    try:
        redis_client.get().incr(GENERATION_KEY.format(name=name))
    except redis.RedisError as exc:
        # Entries expire by their timeout; the cache stays bypassed meanwhile.
        current.failed(exc)
