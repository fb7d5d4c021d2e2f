"""Redis down: the cache degrades to no cache (quick 200s, no 500, no hang) and recovers."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from app_helpers import add_items, add_user, make_settings, own_redis, service_port

from app import create_app
from app.cache import store
from app.extensions import db
from app.jobs.queue import JobsUnavailableError, enqueue
from app.settings import RedisSettings
from tests.support.redis_server import RedisServer

QUICK = 1.0  # seconds; a refused connection must not hold a request


@pytest.fixture
def redis_to_stop() -> Iterator[RedisServer]:
    """A Redis this test stops and restarts."""
    yield from own_redis()


def test_cache_bypassed_while_redis_is_down(
    redis_to_stop: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = redis_to_stop
    monkeypatch.setattr(store, "BYPASS_SECONDS", 0.5)
    app = create_app(make_settings("sqlite://", own.url))
    with app.app_context():
        db.create_all()
    owner = add_user(app, "cache@example.com")
    add_items(app, owner, ["one"])
    client = app.test_client()
    assert client.get("/api/v1/items").headers["X-Cache"] == "MISS"
    assert client.get("/api/v1/items").headers["X-Cache"] == "HIT"

    own.stop()
    for path in ("/api/v1/items", "/api/v1/stats", "/api/v1/items"):
        started = time.monotonic()
        response = client.get(path)
        assert response.status_code == 200, response.get_json()
        assert time.monotonic() - started < QUICK
    assert response.headers["X-Cache"] == "MISS"
    add_items(app, owner, ["two"])  # a write while Redis is down: no error either
    assert len(client.get("/api/v1/items").get_json()) == 2

    own.start()
    time.sleep(0.6)  # the bypass window ends
    assert client.get("/api/v1/items").headers["X-Cache"] == "MISS"
    assert client.get("/api/v1/items").headers["X-Cache"] == "HIT"


def test_a_silent_redis_costs_one_bounded_timeout() -> None:
    """A Redis that accepts connections but never answers (a hung server or a black hole)."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", service_port()))
    silent.listen(64)  # the kernel completes handshakes; nobody ever reads or replies
    try:
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        app = create_app(
            make_settings("sqlite://", url).model_copy(
                update={"redis": RedisSettings(url=url, socket_timeout=1.0)}
            )
        )
        with app.app_context():
            db.create_all()
        client = app.test_client()
        started = time.monotonic()
        assert client.get("/api/v1/items").status_code == 200
        assert time.monotonic() - started < 2.5  # one socket timeout, then the cache is bypassed
        started = time.monotonic()
        assert client.get("/api/v1/items").status_code == 200
        assert time.monotonic() - started < 0.5
        with app.test_request_context():
            started = time.monotonic()
            with pytest.raises(JobsUnavailableError):
                enqueue(print, "never queued")
            assert time.monotonic() - started < 2.5
    finally:
        silent.close()
