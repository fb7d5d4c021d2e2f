"""Edge cases of the cache helpers: backend errors mid-way, lock timeouts, lost winners."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis
from app_helpers import make_settings
from app_servers import RedisServer
from flask import Flask

from app import create_app
from app.cache import singleflight, store
from app.extensions import cache
from app.redis_client import redis_client


class Broken:
    """Every Redis call fails as if the server went away."""

    def __getattr__(self, name: str) -> object:
        def fail(*args: object, **kwargs: object) -> object:
            raise redis.ConnectionError("gone")

        return fail


@pytest.fixture
def redis_app(redis_server: RedisServer) -> Iterator[Flask]:
    application = create_app(make_settings("sqlite://", redis_server.url))
    with application.app_context():
        yield application
        redis_client.get().flushdb()


def test_generation_and_bump_survive_errors(
    redis_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert store.generation("items") == 0
    store.bump("items")
    assert store.generation("items") == 1
    monkeypatch.setattr(redis_client, "get", Broken)
    store.bump("items")  # no exception: entries expire by their timeout meanwhile
    assert not store.state().available
    assert store.generation("items") == -1  # bypassed: keys never match stored ones
    store.state().bypass_until = 0
    assert store.generation("items") == -1
    assert not store.state().available


def test_put_failure_only_skips_caching(redis_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_set(*args: object, **kwargs: object) -> None:
        raise redis.ConnectionError("gone")

    monkeypatch.setattr(cache, "set", broken_set)
    store.put("k", "v", 10)
    assert not store.state().available
    store.put("k", "v", 10)  # bypassed now: not even tried
    assert store.get("k") is store.MISSING


def test_lock_error_computes_without_caching(
    redis_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with redis_app.test_request_context():
        monkeypatch.setattr(redis_client, "get", Broken)
        assert singleflight.get_or_compute("t", "key-a", lambda: "fresh", 10) == "fresh"
        assert not store.state().available


def test_waiter_computes_itself_when_the_winner_never_delivers(
    redis_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(singleflight, "WAIT_SECONDS", 0.2)
    held = redis_client.get().lock("lock:key-b", timeout=5)
    assert held.acquire(blocking=False)  # a winner that crashed or hangs
    try:
        assert singleflight.get_or_compute("t", "key-b", lambda: "mine", 10) == "mine"
    finally:
        held.release()


def test_waiter_stops_waiting_when_the_cache_goes_down(
    redis_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = redis_client.get().lock("lock:key-c", timeout=5)
    assert held.acquire(blocking=False)
    original_get = store.get

    def get_then_fail(key: str) -> object:
        value = original_get(key)
        store.state().failed(redis.ConnectionError("gone"))
        return value

    monkeypatch.setattr(store, "get", get_then_fail)
    try:
        assert singleflight.get_or_compute("t", "key-c", lambda: "alone", 10) == "alone"
    finally:
        held.release()


def test_local_lock_timeout_computes(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(singleflight, "WAIT_SECONDS", 0.1)
    lock = singleflight._local_lock("key-d")
    lock.acquire()
    try:
        with app.app_context():
            result = singleflight.get_or_compute("t", "key-d", lambda: "anyway", 10)
        assert result == "anyway"
    finally:
        lock.release()
    assert isinstance(singleflight._local_lock("key-d"), type(threading.Lock()))
