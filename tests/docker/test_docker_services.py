"""The image against real PostgreSQL and Redis: the one-shot migration, readiness, Redis outage."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import requests
from docker_harness import IMAGE, Container, docker, production_env, record

from tests.support.postgres import PostgresTemplate, serving_postgres
from tests.support.redis_server import RedisServer, serving_redis
from tests.support.servers import ServerError, fail

SERVICE_PORTS = (22400, 22499)  # within this suite's range (22000-22999)
READY_PORT = 22082
OUTAGE_PORT = 22083
STARTUP_BUDGET_SECONDS = 20  # gunicorn's workers import the app from .pyc files compiled at build
pytestmark = pytest.mark.timeout(900)  # the first test may build the image from scratch


@pytest.fixture(scope="module")
def services() -> Iterator[dict[str, str]]:
    """Start PostgreSQL and Redis on loopback (tests/support); stop them by pid afterwards."""
    try:
        template = PostgresTemplate()
    except ServerError as exc:
        fail(str(exc))
    for postgres in serving_postgres(template, SERVICE_PORTS):
        for cache in serving_redis(SERVICE_PORTS):
            yield {"DATABASE_URL": postgres.url(), "REDIS_URL": cache.url}
    template.cleanup()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis of its own that the test stops under a running container."""
    yield from serving_redis(SERVICE_PORTS)


def run_env(services: dict[str, str], port: int) -> list[str]:
    """Return production `-e` options pointing at the real services."""
    opts = production_env(port)
    for name, value in services.items():
        opts = [o for o in opts if not o.startswith(f"{name}=")]
        opts += ["-e", f"{name}={value}"]
    return opts


def run_detached(running: Container, services: dict[str, str]) -> None:
    """Run the image hardened as production runs it, against SERVICES; wait until it serves."""
    docker("rm", "-f", running.name, check=False)
    docker(
        "run", "--detach", "--name", running.name, "--network", "host", "--read-only",
        "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        *run_env(services, running.port), IMAGE,
    )  # fmt: skip
    running.wait_serving()


@pytest.fixture(scope="module")
def migrated(image: str, services: dict[str, str]) -> dict[str, str]:
    """Run `flask db upgrade` once from the image, as compose's migrate service does."""
    done = docker(
        "run", "--rm", "--network", "host", "--read-only", "--tmpfs", "/tmp",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        *run_env(services, READY_PORT), image, "flask", "db", "upgrade",
        check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return services


def test_migration_one_shot_creates_the_schema(migrated: dict[str, str]) -> None:
    with psycopg.connect(migrated["DATABASE_URL"]) as conn:
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version is not None


def readyz(base: str) -> tuple[int, Any]:
    """GET /readyz: its status and body, errors included."""
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:  # noqa: S310 (http URL)
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_ready_with_real_services(migrated: dict[str, str]) -> None:
    running = Container(f"kit-ready-test-{os.getpid()}", READY_PORT)
    try:
        started = time.monotonic()
        run_detached(running, migrated)
        status, body = readyz(running.url)
        while status != 200 and time.monotonic() - started < STARTUP_BUDGET_SECONDS:
            time.sleep(0.1)
            status, body = readyz(running.url)
        seconds = time.monotonic() - started
        record(f"start-up: docker run to /readyz 200 in {seconds:.1f} s")
        assert status == 200, body
        assert seconds < STARTUP_BUDGET_SECONDS
    finally:
        running.remove()


def call(base: str, method: str, path: str, body: Any = None, token: str = "") -> tuple[int, Any]:
    """One JSON request to the container; the status and decoded body, errors included."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.request(method, f"{base}{path}", json=body, headers=headers, timeout=10)
    return response.status_code, response.json() if response.content else None


def test_redis_outage_keeps_the_container_ready_and_serving(
    migrated: dict[str, str], own_redis: RedisServer
) -> None:
    running = Container(f"kit-redis-outage-test-{os.getpid()}", OUTAGE_PORT)
    env = {**migrated, "REDIS_URL": own_redis.url, "REDIS_SOCKET_TIMEOUT": "1"}
    try:
        run_detached(running, env)
        credentials = {"email": "outage@example.com", "password": "image outage passphrase"}
        assert call(running.url, "POST", "/api/v1/auth/register", credentials)[0] == 201
        assert call(running.url, "GET", "/readyz")[1]["status"] == "ok"

        own_redis.stop()

        for _ in range(4):  # fresh connections: both gunicorn workers answer
            status, body = call(running.url, "GET", "/readyz")
            assert status == 200, body
            assert body["status"] == "degraded"
            assert body["checks"]["redis"]["status"] == "degraded"
            assert "127.0.0.1" not in json.dumps(body)  # no error text on the public probe
        # Sign-in (rate limits fall back to memory), a write (cache invalidation), the cached
        # list and the cached aggregate (singleflight lock): every Redis-backed path serves.
        status, tokens = call(running.url, "POST", "/api/v1/auth/token", credentials)
        assert status == 200, tokens
        status, item = call(
            running.url, "POST", "/api/v1/items", {"title": "no redis"}, tokens["access_token"]
        )
        assert status == 201, item
        status, listing = call(running.url, "GET", "/api/v1/items")
        assert status == 200
        assert "no redis" in {entry["title"] for entry in listing}
        assert call(running.url, "GET", "/api/v1/stats")[0] == 200
    finally:
        running.remove()
