"""app/__init__.py, app/wsgi.py and app/observability: wiring, headers, JSON logs."""

from __future__ import annotations

import importlib
import json
import logging
import sys

import pytest
from app_helpers import make_settings
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.observability.logging import configure_logging


def test_create_app_registers_the_contract_routes(app: Flask) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {
        "/",
        "/api/v1/items",
        "/api/v1/items/<int:item_id>",
        "/api/v1/openapi.json",
        "/api/v1/docs",
        "/healthz",
        "/readyz",
        "/static/<path:filename>",
    } <= rules


def test_config_follows_settings(app: Flask) -> None:
    assert app.config["TESTING"] is True
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert app.config["CACHE_TYPE"] == "SimpleCache"
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_redis_url_selects_the_redis_cache() -> None:
    application = create_app(make_settings(redis_url="redis://127.0.0.1:1/0"))
    assert application.config["CACHE_TYPE"] == "RedisCache"
    assert "redis" in application.extensions["readiness_checks"]


def test_every_response_carries_the_contract_headers(client: FlaskClient) -> None:
    for path in ("/", "/healthz", "/api/v1/items", "/missing", "/static/css/app.css"):
        response = client.get(path)
        assert response.headers["X-App-Version"] == "1.2.3-test", path
        assert response.headers["X-App-Color"] == "blue", path
        assert len(response.headers["X-Request-ID"]) == 32, path
        response.close()


def test_a_valid_incoming_request_id_is_kept(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "edge-1234.abc"})
    assert response.headers["X-Request-ID"] == "edge-1234.abc"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "semi;colon", "<script>"])
def test_an_unsafe_incoming_request_id_is_replaced(client: FlaskClient, bad: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": bad})
    assert response.headers["X-Request-ID"] != bad
    assert len(response.headers["X-Request-ID"]) == 32


def test_request_log_is_one_json_line_with_context(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    client.get("/api/v1/items/77", headers={"X-Request-ID": "trace-77"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    request_lines = [line for line in lines if line["logger"] == "app.request"]
    assert len(request_lines) == 1
    line = request_lines[0]
    assert line["level"] == "INFO"
    assert line["message"] == "request"
    assert line["request_id"] == "trace-77"
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/items/77"
    assert line["status"] == 404
    assert isinstance(line["duration_ms"], float)


def test_log_requests_off_leaves_only_app_lines(capsys: pytest.CaptureFixture[str]) -> None:
    application = create_app(make_settings(log_requests=False))
    application.test_client().get("/healthz")
    assert "app.request" not in capsys.readouterr().err


def test_configure_logging_does_not_stack_handlers() -> None:
    configure_logging("INFO")
    configure_logging("WARNING")
    root = logging.getLogger()
    assert sum(getattr(handler, "_kit_json", False) for handler in root.handlers) == 1
    assert root.level == logging.WARNING
    configure_logging("INFO")


def test_wsgi_builds_the_app_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "testing")
    monkeypatch.setenv("APP_VERSION", "9.9.9")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    sys.modules.pop("app.wsgi", None)
    wsgi = importlib.import_module("app.wsgi")
    assert isinstance(wsgi.app, Flask)
    assert wsgi.app.test_client().get("/healthz").get_json()["version"] == "9.9.9"


def test_wsgi_refuses_production_without_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    sys.modules.pop("app.wsgi", None)
    with pytest.raises(SystemExit) as info:
        importlib.import_module("app.wsgi")
    assert info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: invalid configuration: SECRET_KEY must be set when APP_ENV=production"
    ]
    sys.modules.pop("app.wsgi", None)
