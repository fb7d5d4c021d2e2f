"""app/database.py: stop PostgreSQL under a running app, hang it, slow it; waits stay bounded."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import psycopg
import pytest
from app_helpers import APP_PORTS, app_port, make_settings, sign_in, timed_get
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.extensions import db
from app.models import User
from tests.support.postgres import PostgresServer, PostgresTemplate, serving_postgres

QUICK = 3.0  # seconds: an unreachable database must not hold a request longer


@pytest.fixture
def own_postgres(pg_template: PostgresTemplate) -> Iterator[PostgresServer]:
    """A PostgreSQL server this test may stop and restart."""
    yield from serving_postgres(pg_template, APP_PORTS)


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


def _pooled_backend(app: Flask) -> int:
    """Return the server pid behind the pool's connection (checked out and back in)."""
    with app.app_context():
        pid: int = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.remove()
    return pid


def test_first_request_after_a_restart_while_idle_is_served(own_postgres: PostgresServer) -> None:
    app: Flask = create_app(make_settings(own_postgres.url()))
    with app.app_context():
        upgrade()
    client = app.test_client()
    assert client.get("/api/v1/items").status_code == 200
    before = _pooled_backend(app)

    own_postgres.stop()  # no request while it is down: the pool still holds the old connection
    own_postgres.start()

    assert client.get("/api/v1/items").status_code == 200  # not a 503 on the dead connection
    assert _pooled_backend(app) != before
    with app.app_context():
        db.engine.dispose()


def test_a_terminated_backend_is_replaced_on_checkout(own_postgres: PostgresServer) -> None:
    app: Flask = create_app(make_settings(own_postgres.url()))
    with app.app_context():
        upgrade()
    client = app.test_client()
    before = _pooled_backend(app)
    own_postgres.execute(f"SELECT pg_terminate_backend({before})")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _backend_alive(own_postgres, before):
        time.sleep(0.05)

    assert client.get("/api/v1/items").status_code == 200
    assert _pooled_backend(app) != before
    with app.app_context():
        db.engine.dispose()


def _backend_alive(server: PostgresServer, pid: int) -> bool:
    """Return whether PostgreSQL still lists backend PID."""
    with psycopg.connect(server.url(), autocommit=True, connect_timeout=5) as conn:
        found = conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
    return found is not None


def test_hung_database_is_bounded_by_the_connect_timeout() -> None:
    # A listener that never answers: the TCP handshake succeeds, PostgreSQL's greeting never
    # comes, so only connect_timeout stops the wait.
    port = app_port()
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
