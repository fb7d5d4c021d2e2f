"""app/health: /healthz, and /readyz with required and optional checks."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.health.checks import BUDGET_SECONDS, register_check


def test_healthz_reports_version_and_colour(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": "1.2.3-test", "color": "blue"}


def test_readyz_checks_the_database(client: FlaskClient) -> None:
    body = client.get("/readyz").get_json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database"}  # no REDIS_URL, so no redis check
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["required"] is True


def test_readyz_names_a_failing_check(app: Flask, client: FlaskClient) -> None:
    def broken() -> None:
        raise ConnectionError("bucket unreachable\nsecond line")

    register_check(app, "storage", broken, required=True)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["storage"]
    assert body["error"] == "not_ready"
    assert "storage" in body["message"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert body["checks"]["storage"] == {
        "status": "fail",
        "required": True,
        "duration_ms": body["checks"]["storage"]["duration_ms"],
    }
    assert "unreachable" not in response.get_data(as_text=True)  # the error is logged only
    assert body["checks"]["database"]["status"] == "ok"


def test_a_failing_optional_check_degrades_but_stays_ready(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise ConnectionError("cache.internal.example:6379 refused")

    register_check(app, "cache", broken, required=False)
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["degraded"] == ["cache"]
    assert body["checks"]["cache"]["status"] == "degraded"
    assert body["checks"]["cache"]["required"] is False
    assert "cache.internal.example" not in response.get_data(as_text=True)
    logged = [r for r in caplog.records if r.getMessage() == "readiness check failed"]
    assert logged[0].__dict__["error"] == "ConnectionError: cache.internal.example:6379 refused"
    assert logged[0].__dict__["request_id"] == response.headers["X-Request-ID"]


def test_a_hung_check_is_cut_at_the_budget(app: Flask, client: FlaskClient) -> None:
    release = threading.Event()
    register_check(app, "slow", lambda: release.wait(10) and None, required=False)
    started = time.monotonic()
    response = client.get("/readyz")
    release.set()
    assert time.monotonic() - started < BUDGET_SECONDS + 1
    assert response.status_code == 200
    assert response.get_json()["checks"]["slow"]["status"] == "degraded"


def test_readyz_checks_database_and_redis(pg_client: FlaskClient) -> None:
    body = pg_client.get("/readyz").get_json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "redis": "ok",
    }
