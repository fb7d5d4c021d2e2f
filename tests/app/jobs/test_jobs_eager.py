"""Eager mode (no REDIS_URL): jobs run inline, keep the request id, and failures are contained."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from flask import Flask
from prometheus_client import REGISTRY
from test_jobs_queue import json_lines

from app.jobs.queue import enqueue, job_counts

sys.path.insert(0, str(Path(__file__).parent))
import jobs_fixtures


def sample(name: str, **labels: str) -> float:
    """Return a sample's current value (0 when absent)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_jobs_run_inline_with_the_request_id(app: Flask, capfd: pytest.CaptureFixture[str]) -> None:
    job = "jobs_fixtures.log_and_return"
    before = sample("app_jobs_total", job=job, outcome="finished")
    with app.test_request_context(headers={"X-Request-ID": "eager-req-1"}):
        app.preprocess_request()
        result = enqueue(jobs_fixtures.log_and_return, "inline")
    assert (result.status, result.result, result.id) == ("finished", "INLINE", "")
    assert sample("app_jobs_total", job=job, outcome="finished") == before + 1
    lines = [
        line for line in json_lines(capfd.readouterr().err) if line.get("logger") == "tests.jobs"
    ]
    assert lines[0]["request_id"] == "eager-req-1"
    assert str(lines[0]["job_id"]).startswith("eager-")


def test_a_failing_inline_job_is_logged_not_raised(
    app: Flask, capfd: pytest.CaptureFixture[str]
) -> None:
    with app.test_request_context():
        result = enqueue(jobs_fixtures.log_and_return, 42)  # int has no .upper()
    assert result.status == "failed"
    assert "AttributeError" in result.result
    failure = [
        line
        for line in json_lines(capfd.readouterr().err)
        if line.get("message") == "job failed (eager)"
    ]
    assert failure
    assert "Traceback" in str(failure[0]["exc_info"])


def test_no_job_counts_without_redis(app: Flask) -> None:
    with app.app_context():
        assert job_counts() == {}


def test_registration_queues_the_welcome_email_inline(
    app: Flask, capfd: pytest.CaptureFixture[str]
) -> None:
    response = app.test_client().post(
        "/api/v1/auth/register",
        json={"email": "eager@example.com", "password": "a-long-enough-password"},
        headers={"X-Request-ID": "register-req-7"},
    )
    assert response.status_code == 201
    lines = json_lines(capfd.readouterr().err)
    sent = [line for line in lines if "welcome email" in str(line.get("message"))]
    assert sent
    assert sent[0]["request_id"] == "register-req-7"
