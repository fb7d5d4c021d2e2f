"""The image against real PostgreSQL and Redis: the one-shot migration, then readiness."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from backing_services import start_postgres, start_redis, stop
from docker_harness import IMAGE, Container, docker, production_env

PG_PORT = 22432
REDIS_PORT = 22379
READY_PORT = 22082
pytestmark = pytest.mark.timeout(900)  # the first test may build the image from scratch


@pytest.fixture(scope="module")
def services() -> Iterator[dict[str, str]]:
    """Start PostgreSQL and Redis on loopback; stop them by pid afterwards."""
    # Not under pytest's tmp dir: as root, postgres runs as its own user and must reach it.
    workdir = Path(tempfile.mkdtemp(prefix="kit-docker-services-"))
    postgres, database_url = start_postgres(workdir, PG_PORT)
    try:
        cache, redis_url = start_redis(workdir, REDIS_PORT)
    except RuntimeError:
        stop(postgres, signal.SIGINT)
        raise
    yield {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    stop(cache)
    stop(postgres, signal.SIGINT)
    shutil.rmtree(workdir, ignore_errors=True)


def run_env(services: dict[str, str], port: int) -> list[str]:
    """Return production `-e` options pointing at the real services."""
    opts = production_env(port)
    for name, value in services.items():
        opts = [o for o in opts if not o.startswith(f"{name}=")]
        opts += ["-e", f"{name}={value}"]
    return opts


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


def test_ready_with_real_services(migrated: dict[str, str]) -> None:
    name = f"kit-ready-test-{os.getpid()}"
    running = Container(name, READY_PORT)
    docker("rm", "-f", name, check=False)
    try:
        docker(
            "run", "--detach", "--name", name, "--network", "host", "--read-only",
            "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
            *run_env(migrated, READY_PORT), IMAGE,
        )  # fmt: skip
        running.wait_serving()
        try:
            with urllib.request.urlopen(f"{running.url}/readyz", timeout=5) as response:  # noqa: S310 (http URL)
                status, body = response.status, json.load(response)
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        assert status == 200, body
    finally:
        running.remove()
