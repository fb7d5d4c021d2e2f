"""Dependency failure: stop PostgreSQL / Redis under a running app, then bring them back."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from app_helpers import make_settings, sign_in
from app_servers import PostgresServer, PostgresTemplate, RedisServer, free_port, serving_postgres
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import User

QUICK = 3.0  # seconds: an unreachable database must not hold a request longer


@pytest.fixture
def own_postgres(pg_template: PostgresTemplate) -> Iterator[PostgresServer]:
    """A PostgreSQL server this test may stop and restart."""
    yield from serving_postgres(pg_template)


def timed_get(client: FlaskClient, path: str) -> tuple[int, dict[str, object], float]:
    started = time.monotonic()
    response = client.get(path)
    return response.status_code, response.get_json(), time.monotonic() - started


def wait_until_ok(client: FlaskClient, path: str, timeout: float = 10) -> float:
    """Poll PATH until 200; return how long recovery took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if client.get(path).status_code == 200:
            return time.monotonic() - started
        time.sleep(0.1)
    pytest.fail(f"{path} did not recover within {timeout}s")


def test_database_outage_gives_quick_503s_and_recovers(own_postgres: PostgresServer) -> None:
    app: Flask = create_app(make_settings(own_postgres.url(), database={"connect_timeout": 2}))
    with app.app_context():
        upgrade()
        db.session.add(User(email="outage@example.com", name="Outage"))
        db.session.commit()
        owner_id = db.session.scalars(db.select(User.id)).one()
    client = app.test_client()
    sign_in(app, client, owner_id)  # item writes need an authenticated owner
    assert (
        client.post("/api/v1/items", json={"owner_id": owner_id, "title": "before"}).status_code
        == 201
    )
    assert client.get("/api/v1/items").status_code == 200  # pooled connections now exist

    own_postgres.stop()

    for path in ("/api/v1/items", "/api/v1/items/1"):
        status, body, took = timed_get(client, path)
        assert status == 503, body
        assert took < QUICK
        assert body["error"] == "service_unavailable"
        assert "database" in str(body["message"])
        assert body["request_id"]
    started = time.monotonic()
    write = client.post("/api/v1/items", json={"owner_id": owner_id, "title": "during"})
    assert write.status_code == 503
    assert time.monotonic() - started < QUICK
    home = client.get("/", headers={"Accept": "text/html"})
    assert home.status_code == 503
    assert "database" in home.get_data(as_text=True)

    status, body, took = timed_get(client, "/readyz")
    assert status == 503
    assert took < QUICK
    assert body["failing"] == ["database"]
    assert "database" in str(body["message"])
    assert "127.0.0.1" not in str(body)
    assert "refused" not in str(body)
    assert client.get("/healthz").status_code == 200  # liveness ignores dependencies

    own_postgres.start()

    assert wait_until_ok(client, "/readyz") < 10
    listing = client.get("/api/v1/items")
    assert listing.status_code == 200
    assert [item["title"] for item in listing.get_json()] == ["before"]
    assert (
        client.post("/api/v1/items", json={"owner_id": owner_id, "title": "after"}).status_code
        == 201
    )
    with app.app_context():
        db.engine.dispose()


def test_redis_outage_degrades_readyz_and_recovers(
    pg_migrated: str, own_redis: RedisServer
) -> None:
    app = create_app(make_settings(pg_migrated, own_redis.url))
    client = app.test_client()
    assert client.get("/readyz").get_json()["status"] == "ok"

    own_redis.stop()
    status, body, took = timed_get(client, "/readyz")
    assert status == 200  # Redis is optional: the pod stays in the Service
    assert took < QUICK
    assert body["status"] == "degraded"
    assert body["degraded"] == ["redis"]
    assert body["checks"]["redis"]["status"] == "degraded"  # type: ignore[index]
    assert body["checks"]["database"]["status"] == "ok"  # type: ignore[index]
    assert client.get("/api/v1/items").status_code == 200  # the API does not need Redis

    own_redis.start()
    started = time.monotonic()
    while client.get("/readyz").get_json()["status"] != "ok":
        assert time.monotonic() - started < 10, "redis was not seen again within 10 s"
        time.sleep(0.1)
    with app.app_context():
        db.engine.dispose()


def test_hung_database_is_bounded_by_the_connect_timeout() -> None:
    # A listener that never answers: the TCP handshake succeeds, PostgreSQL's greeting never
    # comes, so only connect_timeout stops the wait.
    port = free_port()
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", port))
        silent.listen(16)
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        app = create_app(make_settings(url, database={"connect_timeout": 2}))
        client = app.test_client()
        status, body, took = timed_get(client, "/api/v1/items")
        assert status == 503
        assert body["error"] == "service_unavailable"
        assert 1.5 < took < 2 + QUICK
        status, body, took = timed_get(client, "/readyz")
        assert status == 503
        assert body["failing"] == ["database"]
        assert took < 2 + QUICK
