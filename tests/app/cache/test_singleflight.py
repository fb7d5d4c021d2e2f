"""app/cache/singleflight.py: lock errors, lock timeouts, winners that never deliver."""

from __future__ import annotations

import threading

import pytest
import redis
from app_helpers import BrokenRedis
from flask import Flask

from app.cache import singleflight, store
from app.redis_client import redis_client


def test_lock_error_computes_without_caching(
    redis_context_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with redis_context_app.test_request_context():
        monkeypatch.setattr(redis_client, "get", BrokenRedis)
        assert singleflight.get_or_compute("t", "key-a", lambda: "fresh", 10) == "fresh"
        assert not store.state().available


def test_waiter_computes_itself_when_the_winner_never_delivers(
    redis_context_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(singleflight, "WAIT_SECONDS", 0.2)
    held = redis_client.get().lock("lock:key-b", timeout=5)
    assert held.acquire(blocking=False)  # a winner that crashed or hangs
    try:
        assert singleflight.get_or_compute("t", "key-b", lambda: "mine", 10) == "mine"
    finally:
        held.release()


def test_waiter_stops_waiting_when_the_cache_goes_down(
    redis_context_app: Flask, monkeypatch: pytest.MonkeyPatch
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
