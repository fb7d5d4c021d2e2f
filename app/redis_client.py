"""The lazily created Redis client: no connection exists before gunicorn forks."""

from __future__ import annotations

import threading

import redis
from flask import Flask

from app.settings import Settings


class RedisClient:
    """Hold REDIS_URL and hand out one client per process, created on first use."""

    def __init__(self) -> None:
        self._url = ""
        self._timeout = 2.0
        self._client: redis.Redis | None = None
        self._lock = threading.Lock()

    def init_app(self, app: Flask, settings: Settings) -> None:
        """Remember where Redis is; connect only when first asked."""
        self._url = settings.redis.url
        self._timeout = settings.redis.socket_timeout
        self._client = None
        app.extensions["redis_client"] = self

    @property
    def configured(self) -> bool:
        """Tell whether REDIS_URL is set."""
        return bool(self._url)

    def get(self) -> redis.Redis:
        """Return the process's client, creating it on first use."""
        if not self._url:
            raise RuntimeError("REDIS_URL is not configured")
        with self._lock:
            if self._client is None:
                self._client = redis.Redis.from_url(
                    self._url,
                    socket_connect_timeout=self._timeout,
                    socket_timeout=self._timeout,
                    health_check_interval=30,
                )
            return self._client


# The one client holder; create_app binds it to the app's REDIS_URL.
redis_client = RedisClient()
