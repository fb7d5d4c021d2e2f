"""Unhandled exceptions: one structured JSON log line with traceback and request id, a bare 500."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from prometheus_client import REGISTRY


def test_unhandled_exception_is_logged_as_json_with_traceback(
    app: Flask, capfd: pytest.CaptureFixture[str]
) -> None:
    @app.get("/api/v1/explode")
    def explode() -> str:
        raise RuntimeError("secret internals 1234")

    labels = {"method": "GET", "endpoint": "/api/v1/explode", "status": "500"}
    before = REGISTRY.get_sample_value("app_http_requests_total", labels) or 0.0
    capfd.readouterr()
    response = app.test_client().get("/api/v1/explode", headers={"X-Request-ID": "boom-req-9"})
    assert response.status_code == 500
    assert response.get_json() == {
        "error": "internal_error",
        "message": "An unexpected error occurred.",
        "request_id": "boom-req-9",
    }
    assert "secret" not in response.get_data(as_text=True)

    lines = [
        json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")
    ]
    (error,) = [line for line in lines if line["level"] == "ERROR"]
    assert error["message"] == "unhandled exception"
    assert error["request_id"] == "boom-req-9"
    assert (error["method"], error["path"]) == ("GET", "/api/v1/explode")
    assert error["exc_info"].startswith("Traceback (most recent call last)")
    assert "RuntimeError: secret internals 1234" in error["exc_info"]  # in the log, not the reply
    assert REGISTRY.get_sample_value("app_http_requests_total", labels) == before + 1
