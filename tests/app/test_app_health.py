"""app/health and app/services/health.py on SQLite (PostgreSQL/Redis cases live elsewhere)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from app.services.health import register_check


def test_healthz_reports_version_and_colour(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": "1.2.3-test", "color": "blue"}


def test_readyz_checks_the_database(client: FlaskClient) -> None:
    body = client.get("/readyz").get_json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database"}  # no REDIS_URL, so no redis check
    assert body["checks"]["database"]["status"] == "ok"


def test_readyz_names_a_failing_check(app: Flask, client: FlaskClient) -> None:
    def broken() -> None:
        raise ConnectionError("bucket unreachable\nsecond line")

    register_check(app, "storage", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["storage"]
    assert body["error"] == "not_ready"
    assert "storage" in body["message"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert body["checks"]["storage"] == {
        "status": "fail",
        "duration_ms": body["checks"]["storage"]["duration_ms"],
        "error": "ConnectionError: bucket unreachable",
    }
    assert body["checks"]["database"]["status"] == "ok"
