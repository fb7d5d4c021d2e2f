"""Revocations and rate limits hold across real gunicorn workers and a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from app_helpers import WEB_PORTS

from tests.support.gunicorn import Gunicorn, app_env
from tests.support.redis_server import RedisServer

PASSWORD = "gunicorn-made passphrase"


@pytest.fixture
def gunicorn(pg_migrated: str, redis_server: RedisServer, tmp_path: Path) -> Iterator[Gunicorn]:
    env = app_env(
        APP_ENV="development",
        SECRET_KEY="gunicorn-test-secret-shared-by-all-workers",
        DATABASE_URL=pg_migrated,
        REDIS_URL=redis_server.url,
        AUTH_LOGIN_RATE_LIMIT="3/minute",
        GUNICORN_WORKERS="3",
        GUNICORN_THREADS="1",
        GUNICORN_WORKER_TMP_DIR=str(tmp_path),
        LOG_REQUESTS="false",
    )
    server = Gunicorn(env, tmp_path / "gunicorn.log", WEB_PORTS)
    server.start()
    yield server
    server.stop()
    redis.Redis.from_url(redis_server.url).flushdb()
    with psycopg.connect(pg_migrated, autocommit=True) as conn:
        conn.execute("TRUNCATE items, users, revoked_tokens RESTART IDENTITY CASCADE")


def test_revocation_and_limits_span_workers_and_restarts(gunicorn: Gunicorn) -> None:
    status, _ = gunicorn.call(
        "POST", "/api/v1/auth/register", {"email": "g@example.com", "password": PASSWORD}
    )
    assert status == 201
    status, tokens = gunicorn.call(
        "POST", "/api/v1/auth/token", {"email": "g@example.com", "password": PASSWORD}
    )
    assert status == 200
    access = tokens["access_token"]
    assert {gunicorn.call("GET", "/api/v1/auth/me", token=access)[0] for _ in range(6)} == {200}

    assert gunicorn.call("POST", "/api/v1/auth/revoke", token=access)[0] == 204
    answers = [gunicorn.call("GET", "/api/v1/auth/me", token=access) for _ in range(9)]
    assert {status for status, _ in answers} == {401}
    assert {body["error"] for _, body in answers} == {"token_revoked"}

    # One shared budget: the 3/minute limit holds whichever worker takes each attempt.
    wrong = {"email": "g@example.com", "password": "not it at all"}
    statuses = [gunicorn.call("POST", "/api/v1/auth/token", wrong)[0] for _ in range(4)]
    assert statuses == [401, 401, 429, 429]  # the successful sign-in above used one attempt

    gunicorn.stop()
    gunicorn.start()
    status, body = gunicorn.call("GET", "/api/v1/auth/me", token=access)
    assert (status, body["error"]) == (401, "token_revoked")
