"""app/cache/store.py: backend errors mid-way only bypass the cache; Redis as the backend."""

from __future__ import annotations

import pytest
import redis
from app_helpers import BrokenRedis
from flask import Flask

from app.cache import store
from app.extensions import cache
from app.redis_client import redis_client


def test_generation_and_bump_survive_errors(
    redis_context_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert store.generation("items") == 0
    store.bump("items")
    assert store.generation("items") == 1
    monkeypatch.setattr(redis_client, "get", BrokenRedis)
    store.bump("items")  # no exception: entries expire by their timeout meanwhile
    assert not store.state().available
    assert store.generation("items") == -1  # bypassed: keys never match stored ones
    store.state().bypass_until = 0
    assert store.generation("items") == -1
    assert not store.state().available


def test_put_failure_only_skips_caching(
    redis_context_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_set(*args: object, **kwargs: object) -> None:
        raise redis.ConnectionError("gone")

    monkeypatch.setattr(cache, "set", broken_set)
    store.put("k", "v", 10)
    assert not store.state().available
    store.put("k", "v", 10)  # bypassed now: not even tried
    assert store.get("k") is store.MISSING


def test_cache_uses_redis(pg_app: Flask) -> None:
    with pg_app.app_context():
        cache.set("probe", {"n": 1})
        assert cache.get("probe") == {"n": 1}
        keys = pg_app.extensions["redis_client"].get().keys("kit:*probe")
        assert keys == [b"kit:1.2.3-test:probe"]
