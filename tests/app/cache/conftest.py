"""Fixtures of the cache tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from app_helpers import make_settings
from flask import Flask

from app import create_app
from app.redis_client import redis_client
from tests.support.redis_server import RedisServer


@pytest.fixture
def redis_context_app(redis_server: RedisServer) -> Iterator[Flask]:
    """An app on the session's Redis with its app context pushed for the whole test."""
    application = create_app(make_settings("sqlite://", redis_server.url))
    with application.app_context():
        yield application
        redis_client.get().flushdb()
