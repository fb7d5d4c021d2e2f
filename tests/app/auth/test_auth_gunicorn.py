"""Revocations and rate limits hold across real gunicorn workers and a restart."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from app_servers import RedisServer

from tests.support.servers import free_port, stop_pid

ROOT = Path(__file__).resolve().parents[3]
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "python:app.gunicorn_conf", "app.wsgi:app"]
PORTS = (25000, 25499)  # auth-web's range
PASSWORD = "gunicorn-made passphrase"


class Gunicorn:
    """A gunicorn master with several workers, started and stopped by pid."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port(PORTS)
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                GUNICORN, env=self.env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited: {self.log.read_text()[-1500:]}", pytrace=False)
            try:
                if self.call("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail("gunicorn did not answer within 30s", pytrace=False)

    def stop(self) -> None:
        if self.process is not None:
            stop_pid(self.process, signal.SIGTERM, timeout=30)
        self.process = None

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        """One request on a fresh connection (so any worker may take it)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Content-Type": "application/json", "Connection": "close"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(
            method, path, body=json.dumps(body) if body is not None else None, headers=headers
        )
        response = conn.getresponse()
        raw = response.read()
        conn.close()
        return response.status, json.loads(raw) if raw else None


@pytest.fixture
def gunicorn(pg_migrated: str, redis_server: RedisServer, tmp_path: Path) -> Iterator[Gunicorn]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DATABASE", "REDIS"))}
    env.update(
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
    server = Gunicorn(env, tmp_path / "gunicorn.log")
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
