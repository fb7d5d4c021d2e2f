"""The Compose file is rendered from the contract: services, commands and platform follow it."""

from __future__ import annotations

from pathlib import Path

import yaml

from kitcore.compose import render_compose, render_text
from kitcore.contract import load_contract
from tests.support.contract import REFERENCE, ROOT


def minimal(tmp_path: Path) -> Path:
    """The reference contract with no worker, no migrations and Postgres only."""
    for rel in ("app", "loadtests", "pyproject.toml", "uv.lock"):
        (tmp_path / rel).symlink_to(ROOT / rel)
    text = (ROOT / "kit.toml").read_text()
    start, end = text.index("[migrate]"), text.index("[[smoke]]")
    text = text[:start] + text[end:]
    text = text.replace('worker = ["python", "-m", "app.worker"]\n', "")
    text = text.replace('services = ["postgres", "redis", "s3"]', 'services = ["postgres"]')
    (tmp_path / "kit.toml").write_text(text)
    return tmp_path / "kit.toml"


def test_the_reference_renders_every_part() -> None:
    compose = render_compose(REFERENCE)
    services = compose["services"]
    assert set(services) == {
        "migrate",
        "bucket",
        "app",
        "worker",
        "postgres",
        "redis",
        "s3",
        "nginx",
    }
    assert services["worker"]["command"] == REFERENCE.serve.worker
    assert services["worker"]["healthcheck"]["test"] == ["CMD", *REFERENCE.serve.worker_check]
    assert services["app"]["environment"]["APP_ENV"] == "production"
    assert "@postgres:5432/kit" in services["app"]["environment"]["DATABASE_URL"]
    nginx = services["nginx"]["environment"]
    assert (
        nginx["NGINX_RATE_LIMITED"] == "/login|/register|/api/v1/auth/token|/api/v1/auth/register"
    )
    assert nginx["NGINX_ACTIVE_SERVER"] == "app:8000"
    assert set(compose["volumes"]) == {"pgdata", "redisdata", "s3data"}
    assert "&id" not in render_text(REFERENCE)  # every service written in full


def test_a_service_without_worker_migrations_redis_or_s3(tmp_path: Path) -> None:
    contract = load_contract(minimal(tmp_path))
    compose = yaml.safe_load(render_text(contract))
    assert set(compose["services"]) == {"app", "postgres", "nginx"}
    app = compose["services"]["app"]
    assert set(app["depends_on"]) == set()
    assert "REDIS_URL" not in app["environment"]
    assert "S3_BUCKET" not in app["environment"]
    assert set(compose["volumes"]) == {"pgdata"}
