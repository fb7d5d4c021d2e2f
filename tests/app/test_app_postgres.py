"""The app on a real PostgreSQL and Redis: API, readiness, cache, timeouts, bad input."""

from __future__ import annotations

import time

import pytest
from app_helpers import make_settings
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.extensions import cache, db

URL = "/api/v1/items"


def test_crud_on_postgres(pg_client: FlaskClient, pg_owner: int) -> None:
    created = pg_client.post(URL, json={"owner_id": pg_owner, "title": "On PG", "body": "é ✓"})
    assert created.status_code == 201
    item = created.get_json()
    assert item["body"] == "é ✓"
    assert item["created_at"].endswith("+00:00")
    assert pg_client.get(URL, query_string={"q": "on pg"}).get_json()[0]["id"] == item["id"]
    assert pg_client.patch(f"{URL}/{item['id']}", json={"title": "Renamed"}).status_code == 200
    assert pg_client.post(URL, json={"owner_id": pg_owner, "title": "Renamed"}).status_code == 409
    assert pg_client.delete(f"{URL}/{item['id']}").status_code == 204
    assert pg_client.get(f"{URL}/{item['id']}").status_code == 404


def test_tests_are_isolated(pg_client: FlaskClient) -> None:
    # The previous test's rows were truncated.
    assert pg_client.get(URL).get_json() == []


@pytest.mark.parametrize(
    "query",
    [
        {"q": "nul\x00"},
        {"owner_id": 2**40},
        {"created_after": "0001-01-01T00:00:00+05:00"},
        {"page": 10**30},
    ],
)
def test_hostile_queries_never_reach_postgres_as_errors(
    pg_client: FlaskClient, query: dict[str, object]
) -> None:
    assert pg_client.get(URL, query_string=query).status_code in (200, 422)


def test_nul_in_body_is_422_not_a_database_error(pg_client: FlaskClient, pg_owner: int) -> None:
    response = pg_client.post(URL, json={"owner_id": pg_owner, "title": "a", "body": "x\x00y"})
    assert response.status_code == 422
    assert "body" in response.get_json()["errors"]["json"]


def test_readyz_checks_database_and_redis(pg_client: FlaskClient) -> None:
    body = pg_client.get("/readyz").get_json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "redis": "ok",
    }


def test_cache_uses_redis(pg_app: Flask) -> None:
    with pg_app.app_context():
        cache.set("probe", {"n": 1})
        assert cache.get("probe") == {"n": 1}
        keys = pg_app.extensions["redis_client"].get().keys("kit:*probe")
        assert keys == [b"kit:1.2.3-test:probe"]


def test_statement_timeout_bounds_slow_queries(pg_migrated: str) -> None:
    app = create_app(make_settings(pg_migrated, database={"statement_timeout_ms": 200}))
    with app.app_context():
        started = time.monotonic()
        with pytest.raises(OperationalError, match="statement timeout"):
            db.session.execute(text("SELECT pg_sleep(5)"))
        assert time.monotonic() - started < 2
        db.session.rollback()
        db.engine.dispose()


def test_slow_query_in_a_request_is_a_json_503(pg_migrated: str) -> None:
    app = create_app(make_settings(pg_migrated, database={"statement_timeout_ms": 200}))

    @app.get("/api/v1/slow")
    def slow() -> str:
        db.session.execute(text("SELECT pg_sleep(5)"))
        return "unreachable"

    response = app.test_client().get("/api/v1/slow")
    assert response.status_code == 503
    assert response.get_json()["error"] == "service_unavailable"
    assert response.headers["Retry-After"] == "5"
    with app.app_context():
        db.engine.dispose()
