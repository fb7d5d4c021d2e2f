"""/readyz under real outages: Redis stopped degrades it (200), PostgreSQL stopped fails it (503).

The in-process case uses the test client; the others run the app under a real gunicorn on a
real PostgreSQL and Redis, and stop one of them by pid while it serves.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_helpers import APP_PORTS, WEB_PORTS, make_settings, timed_get
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from tests.support.gunicorn import Gunicorn, app_env
from tests.support.postgres import PostgresServer, PostgresTemplate, serving_postgres
from tests.support.redis_server import RedisServer

QUICK = 3.0  # seconds: /readyz answers within its 2 s budget plus scheduling slack
PASSWORD = "readiness outage passphrase"
# What a backend error names: none of it may reach a public body.
SECRETS = ("127.0.0.1", "refused", "Connection", "OperationalError", "psycopg", "Error ")


@pytest.fixture
def own_postgres(pg_template: PostgresTemplate) -> Iterator[PostgresServer]:
    """A migrated PostgreSQL this test may stop."""
    for server in serving_postgres(pg_template, APP_PORTS):
        app = create_app(make_settings(server.url()))
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield server


@pytest.fixture
def served(
    own_postgres: PostgresServer, own_redis: RedisServer, tmp_path: Path
) -> Iterator[tuple[Gunicorn, str]]:
    """Gunicorn (2 workers) on OWN_POSTGRES and OWN_REDIS, with a signed-up user's token."""
    env = app_env(
        APP_ENV="development",
        SECRET_KEY="readiness-outage-secret-shared-by-workers",
        DATABASE_URL=own_postgres.url(),
        REDIS_URL=own_redis.url,
        DATABASE_CONNECT_TIMEOUT="2",
        REDIS_SOCKET_TIMEOUT="1",
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="2",
        GUNICORN_WORKER_TMP_DIR=str(tmp_path),
        GUNICORN_ACCESSLOG="",
    )
    server = Gunicorn(env, tmp_path / "gunicorn.log", WEB_PORTS)
    server.start()
    credentials = {"email": "ready@example.com", "password": PASSWORD}
    assert server.call("POST", "/api/v1/auth/register", credentials)[0] == 201
    status, tokens = server.call("POST", "/api/v1/auth/token", credentials)
    assert status == 200
    yield server, tokens["access_token"]
    server.stop()


def log_lines(server: Gunicorn) -> list[dict[str, Any]]:
    """Return the JSON lines gunicorn and the app wrote."""
    lines = []
    for raw in server.log.read_text().splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def test_redis_stopped_under_gunicorn_keeps_readyz_200_and_the_api_serving(
    served: tuple[Gunicorn, str], own_redis: RedisServer
) -> None:
    server, token = served
    assert server.call("GET", "/readyz")[1]["status"] == "ok"
    own_redis.stop()

    for _ in range(4):  # fresh connections: both workers answer
        started = time.monotonic()
        status, body = server.call("GET", "/readyz")
        assert time.monotonic() - started < QUICK
        assert status == 200, body
        assert body["status"] == "degraded"
        assert body["checks"]["redis"] == {
            "status": "degraded",
            "required": False,
            "duration_ms": body["checks"]["redis"]["duration_ms"],
        }
        assert body["checks"]["database"]["status"] == "ok"
    for n in range(3):
        status, created = server.call(
            "POST", "/api/v1/items", {"title": f"during the outage {n}"}, token=token
        )
        assert status == 201, created
    status, listing = server.call("GET", "/api/v1/items")
    assert status == 200
    assert {item["title"] for item in listing} >= {f"during the outage {n}" for n in range(3)}
    assert server.call("GET", "/api/v1/stats")[0] == 200  # the cached aggregate, uncached

    own_redis.start()
    deadline = time.monotonic() + 15
    while server.call("GET", "/readyz")[1]["status"] != "ok":
        assert time.monotonic() < deadline, "redis was not seen again within 15 s"
        time.sleep(0.2)


def test_postgres_stopped_under_gunicorn_fails_readyz_without_error_text(
    served: tuple[Gunicorn, str], own_postgres: PostgresServer
) -> None:
    server, _ = served
    own_postgres.stop()

    started = time.monotonic()
    status, body = server.call("GET", "/readyz")
    assert time.monotonic() - started < QUICK
    assert status == 503
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {
        "status": "fail",
        "required": True,
        "duration_ms": body["checks"]["database"]["duration_ms"],
    }
    assert body["checks"]["redis"]["status"] == "ok"
    text = json.dumps(body)
    for secret in (*SECRETS, str(own_postgres.port)):
        assert secret not in text, f"{secret!r} leaked into the public /readyz body"
    # The detail is in the log line of the same request id.
    failures = [
        line
        for line in log_lines(server)
        if line.get("message") == "readiness check failed"
        and line.get("request_id") == body["request_id"]
    ]
    assert failures, "no log line for the failing check"
    assert failures[0]["check"] == "database"
    assert str(own_postgres.port) in failures[0]["error"]


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
