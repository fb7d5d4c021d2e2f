"""compose.yml: valid for Compose, every service wired to healthy dependencies, secrets required."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from docker_harness import ROOT, unavailable

from kitcore.compose import render_text
from tests.support.contract import REFERENCE

SCRIPT = ROOT / "scripts" / "docker-compose-config.sh"
REQUIRED = (
    "SECRET_KEY",
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
    "S3_ACCESS_KEY",
    "S3_SECRET_KEY",
    "TLS_CERT",
    "TLS_KEY",
)
SERVICES = {"app", "worker", "migrate", "bucket", "postgres", "redis", "s3", "nginx"}
ONE_SHOTS = {"migrate", "bucket"}


def compose_config(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess[str]:
    """Run `config` with every required variable set (then the overrides; "" unsets one)."""
    pem = tmp_path / "tls.pem"
    pem.write_text("placeholder: config never reads it\n")
    env = {k: v for k, v in os.environ.items() if k not in REQUIRED and not k.startswith("COMPOSE")}
    env.update({name: f"test-{name.lower()}" for name in REQUIRED})
    env.update(TLS_CERT=str(pem), TLS_KEY=str(pem))
    env.update(overrides)
    env = {k: v for k, v in env.items() if v != ""}
    return subprocess.run(
        [str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Return compose.yml as Compose resolves it."""
    done = compose_config(tmp_path_factory.mktemp("compose"))
    if done.returncode != 0 and "docker-compose is missing" in done.stderr:
        unavailable(done.stderr.strip())
    assert done.returncode == 0, done.stderr
    loaded: dict[str, Any] = yaml.safe_load(done.stdout)
    return loaded


def test_declares_every_service(config: dict[str, Any]) -> None:
    assert set(config["services"]) == SERVICES


@pytest.mark.parametrize("service", sorted(SERVICES - ONE_SHOTS - {"app"}))
def test_long_running_services_have_healthchecks(config: dict[str, Any], service: str) -> None:
    # The app service relies on the image's HEALTHCHECK (tested in test_docker_image).
    check = config["services"][service]["healthcheck"]
    assert check["test"][0] in ("CMD", "CMD-SHELL")


@pytest.mark.parametrize(
    ("service", "needs", "condition"),
    [
        ("app", "migrate", "service_completed_successfully"),
        ("app", "redis", "service_healthy"),
        ("worker", "migrate", "service_completed_successfully"),
        ("migrate", "postgres", "service_healthy"),
        ("bucket", "s3", "service_healthy"),
        ("nginx", "app", "service_healthy"),
    ],
)
def test_dependencies_wait_for_health(
    config: dict[str, Any], service: str, needs: str, condition: str
) -> None:
    assert config["services"][service]["depends_on"][needs]["condition"] == condition


@pytest.mark.parametrize("service", ["app", "worker", "migrate", "bucket"])
def test_app_containers_are_hardened(config: dict[str, Any], service: str) -> None:
    spec = config["services"][service]
    assert spec["read_only"] is True
    assert spec["cap_drop"] == ["ALL"]
    assert spec["environment"]["APP_ENV"] == "production"
    assert "ports" not in spec


def test_migrations_run_once_not_in_the_app(config: dict[str, Any]) -> None:
    assert REFERENCE.migrate is not None
    upgrade = REFERENCE.migrate.upgrade()
    assert config["services"]["migrate"]["command"] == upgrade
    assert config["services"]["migrate"]["restart"] == "no"
    assert "command" not in config["services"]["app"]


def test_nginx_uses_the_kit_templates(config: dict[str, Any]) -> None:
    mounts = [str(v) for v in config["services"]["nginx"]["volumes"]]
    assert any("/etc/nginx/templates" in m for m in mounts)
    assert (ROOT / "nginx" / "templates" / "nginx.conf.template").is_file()
    published = config["services"]["nginx"]["ports"]
    # Compose v1 prints "IP:HOST:CONTAINER" strings, v2 prints mappings.
    hosts = [p["host_ip"] if isinstance(p, dict) else p.split(":")[0] for p in published]
    assert hosts == ["127.0.0.1", "127.0.0.1"]


@pytest.mark.parametrize("name", REQUIRED)
def test_missing_secret_fails_fast(tmp_path: Path, name: str, config: dict[str, Any]) -> None:
    done = compose_config(tmp_path, **{name: ""})
    assert done.returncode != 0
    assert f"set {name}" in done.stderr


def test_compose_file_is_the_contracts_rendering() -> None:
    """compose.yml is rendered from kit.toml (make compose), never edited by hand."""
    assert (ROOT / "compose.yml").read_text() == render_text(REFERENCE)
