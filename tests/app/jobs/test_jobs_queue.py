"""RQ jobs on a real Redis: request id in meta and logs, retries with backoff, failed registry."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from flask import Flask
from rq import Retry
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry

from app.jobs.queue import enqueue, get_queue, job_counts, retry_policy
from app.settings import WorkerSettings
from app.worker import build_worker

sys.path.insert(0, str(Path(__file__).parent))
import jobs_fixtures


def json_lines(text: str) -> list[dict[str, object]]:
    """Parse the JSON log lines in TEXT (other output is ignored)."""
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def test_request_id_travels_into_meta_and_job_logs(
    redis_app: Flask, capfd: pytest.CaptureFixture[str]
) -> None:
    with redis_app.test_request_context(headers={"X-Request-ID": "req-from-client-42"}):
        redis_app.preprocess_request()  # runs the hooks that set g.request_id
        queued = enqueue(jobs_fixtures.log_and_return, "hello")
    assert queued.status == "queued"
    with redis_app.app_context():
        job = Job.fetch(queued.id, connection=get_queue().connection)
        assert job.meta["request_id"] == "req-from-client-42"
        assert job.retries_left == 3
        worker = build_worker(redis_app)
        assert worker.work(burst=True)
        job.refresh()
        assert job.get_status() == JobStatus.FINISHED
        assert job.return_value() == "HELLO"
    body_lines = [
        line for line in json_lines(capfd.readouterr().err) if line.get("logger") == "tests.jobs"
    ]
    assert body_lines, "the job's log line is missing"
    assert body_lines[0]["request_id"] == "req-from-client-42"
    assert body_lines[0]["job_id"] == queued.id


def test_backoff_is_exponential() -> None:
    policy = retry_policy(WorkerSettings(max_retries=4, retry_base_seconds=5))
    assert policy is not None
    assert (policy.max, policy.intervals) == (4, [5, 10, 20, 40])
    assert retry_policy(WorkerSettings(max_retries=0)) is None


def test_failed_job_is_retried_then_kept_in_failed_registry(redis_app: Flask) -> None:
    with redis_app.app_context():
        connection = get_queue().connection
        queued = enqueue(jobs_fixtures.always_fails, "attempts", retry=Retry(max=2))
        worker = build_worker(redis_app)
        worker.work(burst=True)
        assert int(connection.get("attempts") or 0) == 3  # first run + 2 retries
        registry = FailedJobRegistry(queue=get_queue())
        assert queued.id in registry.get_job_ids()
        job = Job.fetch(queued.id, connection=connection)
        assert job.get_status() == JobStatus.FAILED
        assert "ValueError: this job always fails" in (job.latest_result().exc_string or "")
        assert job_counts()["failed"] == {"default": 1}


def test_retry_with_backoff_is_scheduled_not_lost(redis_app: Flask) -> None:
    with redis_app.app_context():
        queued = enqueue(
            jobs_fixtures.always_fails, "backoff", retry=Retry(max=2, interval=[30, 60])
        )
        started = time.time()
        build_worker(redis_app).work(burst=True)
        job = Job.fetch(queued.id, connection=get_queue().connection)
        assert job.get_status() == JobStatus.SCHEDULED
        assert job.retries_left == 1
        scheduled_at = get_queue().scheduled_job_registry.get_scheduled_time(job)
        assert 25 <= scheduled_at.timestamp() - started <= 35
        assert job_counts()["scheduled"] == {"default": 1}
