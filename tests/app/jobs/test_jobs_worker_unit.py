"""The worker entry point and KitWorker, in-process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from app_helpers import make_settings, service_port
from rq.job import Job, JobStatus

from app import create_app
from app.jobs.queue import enqueue, get_queue
from app.worker import build_worker, main
from tests.support.redis_server import RedisServer

sys.path.insert(0, str(Path(__file__).parent))
import jobs_fixtures


def test_main_refuses_a_bad_configuration(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert main([]) == 2
    assert capsys.readouterr().err.startswith("error: invalid configuration: SECRET_KEY")


def test_main_reports_an_unreachable_redis(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_ENV", "testing")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{service_port()}/0")
    assert main(["--burst"]) == 1
    assert capsys.readouterr().err.startswith("error: cannot reach Redis")


def test_main_burst_works_the_queue(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(make_settings("sqlite://", redis_server.url))
    with app.test_request_context():
        queued = enqueue(jobs_fixtures.log_and_return, "burst")
    monkeypatch.setenv("APP_ENV", "testing")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    try:
        assert main(["--burst", "default"]) == 0
        with app.app_context():
            job = Job.fetch(queued.id, connection=get_queue().connection)
            assert job.get_status() == JobStatus.FINISHED
    finally:
        app.extensions["redis_client"].get().flushdb()


def test_heartbeat_ttl_uses_the_grace_period(redis_server: RedisServer) -> None:
    app = create_app(make_settings("sqlite://", redis_server.url))
    worker = build_worker(app)
    assert (worker.job_monitoring_interval, worker.maintenance_interval) == (10, 30)
    assert worker.worker_ttl == 45  # rq waits worker_ttl - 15 = maintenance_interval when idle
    with app.app_context():
        long_job = get_queue().create_job(jobs_fixtures.log_and_return, args=("x",), timeout=300)
        short_job = get_queue().create_job(jobs_fixtures.log_and_return, args=("x",), timeout=4)
    assert worker.get_heartbeat_ttl(long_job) == 10 + 20
    assert worker.get_heartbeat_ttl(short_job) == 4 + 20


def test_perform_job_runs_in_the_app_context_with_the_request_id(
    redis_server: RedisServer, capfd: pytest.CaptureFixture[str]
) -> None:
    app = create_app(make_settings("sqlite://", redis_server.url))
    try:
        with app.test_request_context(headers={"X-Request-ID": "unit-req-3"}):
            app.preprocess_request()
            queued = enqueue(jobs_fixtures.log_and_return, "direct")
        worker = build_worker(app)
        queue = get_queue_for(app)
        job = Job.fetch(queued.id, connection=queue.connection)
        worker.prepare_execution(job)
        worker.prepare_job_execution(job)
        assert worker.perform_job(job, queue) is True  # in-process: no work horse
        assert '"request_id": "unit-req-3"' in capfd.readouterr().err
    finally:
        app.extensions["redis_client"].get().flushdb()


def get_queue_for(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        return get_queue()


def test_final_failure_hooks(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from app import worker as worker_module

    app = create_app(make_settings("sqlite://", redis_server.url))
    with app.app_context():
        job = get_queue().create_job(jobs_fixtures.log_and_return, args=("x",))

    def broken_hook(value: str) -> None:
        raise RuntimeError(f"hook broke on {value}")

    worker_module.on_final_failure(job)  # no hook for this job: nothing happens
    monkeypatch.setitem(worker_module.FINAL_FAILURE_HOOKS, job.func_name, broken_hook)
    worker_module.on_final_failure(job)
    assert "final-failure hook of jobs_fixtures.log_and_return failed" in caplog.text
