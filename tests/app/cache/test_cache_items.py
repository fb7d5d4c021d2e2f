"""The cached item list and stats: hits, keys per locale/user/version, invalidation on writes."""

from __future__ import annotations

import threading
import time

import pytest
from app_helpers import add_items, add_user, bearer_for, make_settings
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.api import stats as stats_api
from app.cache import singleflight, store
from app.extensions import db
from app.models import Item
from tests.support.redis_server import RedisServer


def test_item_list_is_served_from_cache_until_a_write(
    client: FlaskClient, app: Flask, owner: int
) -> None:
    add_items(app, owner, ["first"])
    first = client.get("/api/v1/items")
    second = client.get("/api/v1/items")
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("MISS", "HIT")
    assert first.get_json() == second.get_json()
    assert second.headers["X-Pagination"] == first.headers["X-Pagination"]

    add_items(app, owner, ["second"])  # any commit touching items bumps the generation
    third = client.get("/api/v1/items")
    assert third.headers["X-Cache"] == "MISS"
    assert [item["title"] for item in third.get_json()] == ["second", "first"]


def test_api_write_invalidates(client: FlaskClient, app: Flask, owner: int) -> None:
    assert client.get("/api/v1/items").get_json() == []
    assert client.get("/api/v1/items").headers["X-Cache"] == "HIT"
    created = client.post(
        "/api/v1/items", json={"title": "via api"}, headers=bearer_for(app, owner)
    )
    assert created.status_code == 201, created.get_json()
    response = client.get("/api/v1/items")
    assert response.headers["X-Cache"] == "MISS"
    assert [item["title"] for item in response.get_json()] == ["via api"]


def test_rollback_does_not_invalidate(client: FlaskClient, app: Flask, owner: int) -> None:
    client.get("/api/v1/items")
    with app.app_context():
        db.session.add(Item(owner_id=owner, title="never", body=""))
        db.session.flush()
        db.session.rollback()
    assert client.get("/api/v1/items").headers["X-Cache"] == "HIT"


def test_keys_differ_by_query_locale_and_user(client: FlaskClient, app: Flask, owner: int) -> None:
    add_items(app, owner, ["a", "b"])
    anonymous = app.test_client()  # `client` is signed in as the owner
    assert anonymous.get("/api/v1/items?sort=title").headers["X-Cache"] == "MISS"
    assert anonymous.get("/api/v1/items?sort=-title").headers["X-Cache"] == "MISS"
    assert anonymous.get("/api/v1/items?sort=title").headers["X-Cache"] == "HIT"
    french = {"Accept-Language": "fr"}
    assert anonymous.get("/api/v1/items?sort=title", headers=french).headers["X-Cache"] == "MISS"
    assert anonymous.get("/api/v1/items?sort=title", headers=french).headers["X-Cache"] == "HIT"
    assert client.get("/api/v1/items?sort=title").headers["X-Cache"] == "MISS"  # per user
    assert client.get("/api/v1/items?sort=title").headers["X-Cache"] == "HIT"


def test_errors_are_not_cached(client: FlaskClient) -> None:
    for _ in range(2):
        response = client.get("/api/v1/items?sort=nonsense")
        assert response.status_code == 422
        assert "X-Cache" not in response.headers
    assert client.get("/api/v1/items").headers["X-Cache"] == "MISS"


def test_stats_counts_per_owner_and_invalidates(
    client: FlaskClient, app: Flask, owner: int
) -> None:
    other = add_user(app, "other@example.com")
    add_items(app, owner, ["a", "b"])
    add_items(app, other, ["c"])
    body = client.get("/api/v1/stats").get_json()
    assert (body["items"], body["owners"]) == (3, 2)
    assert body["top_owners"][0] == {"owner_id": owner, "name": "Owner", "items": 2}
    assert client.get("/api/v1/stats").get_json()["generated_at"] == body["generated_at"]
    add_items(app, other, ["d", "e"])
    fresh = client.get("/api/v1/stats").get_json()
    assert fresh["items"] == 5
    assert fresh["top_owners"][0]["owner_id"] == other


def test_in_process_single_flight(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Redis a per-process lock lets one thread compute a cold key."""
    calls = _count_concurrent_recomputes(app, monkeypatch, threads=8)
    assert calls == 1


def _count_concurrent_recomputes(app: Flask, monkeypatch: pytest.MonkeyPatch, threads: int) -> int:
    """Hit /api/v1/stats from THREADS threads at once; return how often it was computed."""
    calls = 0
    guard = threading.Lock()

    def slow_stats() -> dict[str, object]:
        nonlocal calls
        with guard:
            calls += 1
        time.sleep(0.3)
        return {"items": 0, "owners": 0, "top_owners": [], "generated_at": "now"}

    monkeypatch.setattr(stats_api, "item_stats", slow_stats)
    barrier = threading.Barrier(threads)
    statuses: list[int] = []

    def hit() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(client.get("/api/v1/stats").status_code)

    workers = [threading.Thread(target=hit) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert statuses == [200] * threads
    return calls


def test_redis_single_flight_across_threads(
    redis_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """16 concurrent requests on a cold key: one recomputation, the rest wait for it."""
    calls = _count_concurrent_recomputes(redis_app, monkeypatch, threads=16)
    assert calls == 1
    assert redis_app.test_client().get("/api/v1/stats").status_code == 200
    assert calls == 1


def test_without_protection_every_thread_recomputes(
    redis_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: with the lock disabled the same burst recomputes many times."""

    class NeverLocked:
        def acquire(self) -> bool:
            return True

        def release(self) -> None:
            """Nothing to release."""

    monkeypatch.setattr(singleflight, "_with_redis_lock", lambda key, fill, compute: fill())
    assert _count_concurrent_recomputes(redis_app, monkeypatch, threads=8) > 1
    assert NeverLocked().acquire()


def test_versions_keep_separate_entries_but_share_invalidation(redis_server: RedisServer) -> None:
    base = make_settings("sqlite://", redis_server.url)
    blue = create_app(base.model_copy(update={"app_version": "1.0.0"}))
    green = create_app(base.model_copy(update={"app_version": "2.0.0", "app_color": "green"}))
    try:
        for application in (blue, green):
            with application.app_context():
                db.create_all()
        blue_client, green_client = blue.test_client(), green.test_client()
        assert blue_client.get("/api/v1/items").headers["X-Cache"] == "MISS"
        assert green_client.get("/api/v1/items").headers["X-Cache"] == "MISS"  # not blue's entry
        assert green_client.get("/api/v1/items").headers["X-Cache"] == "HIT"
        keys = [key.decode() for key in blue.extensions["redis_client"].get().keys("kit:*items*")]
        assert any(key.startswith("kit:1.0.0:") for key in keys)
        assert any(key.startswith("kit:2.0.0:") for key in keys)
        with blue.app_context():
            store.bump("items")  # a write seen by blue ...
        assert green_client.get("/api/v1/items").headers["X-Cache"] == "MISS"  # ... clears green
    finally:
        blue.extensions["redis_client"].get().flushdb()
