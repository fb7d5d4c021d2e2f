"""`python -m app.worker` as a real process: jobs survive a SIGKILLed worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
from app_helpers import add_user, bearer_for, make_settings, own_redis, service_port
from flask import Flask
from rq import Retry
from rq.job import Job, JobStatus
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.jobs.queue import enqueue, get_queue
from app.settings import UploadSettings
from tests.support.gunicorn import ROOT
from tests.support.servers import children, env_without_otel, fail, kill_tree, stop_pid

sys.path.insert(0, str(Path(__file__).parent))
import jobs_fixtures

# Fast abandonment detection for the test; the documented production bound uses the defaults.
WORKER_ENV = {
    "WORKER_MONITORING_INTERVAL": "1",
    "WORKER_HEARTBEAT_GRACE": "2",
    "WORKER_MAINTENANCE_INTERVAL": "1",
}
RECOVERY_BOUND = 1 + 2 + 1 + 8  # monitoring + grace + maintenance + start-up slack (seconds)


def start_worker(
    redis_url: str, log: Path, metrics_port: int = 0, **extra: str
) -> subprocess.Popen[bytes]:
    """Start a worker in its own process group (so the kill takes its work horse too)."""
    env = (
        env_without_otel()
        | WORKER_ENV
        | {
            "APP_ENV": "testing",
            "REDIS_URL": redis_url,
            "DATABASE_URL": "sqlite://",
            "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(ROOT)]),
            "LOG_LEVEL": "INFO",
            "WORKER_METRICS_PORT": str(metrics_port),
        }
        | extra
    )
    with log.open("ab") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "app.worker"],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture
def worker_app() -> Iterator[Flask]:
    """An app on a private Redis the workers share."""
    for server in own_redis():
        yield create_app(make_settings("sqlite://", server.url))


def wait_for(condition: object, timeout: float, what: str) -> float:
    """Poll CONDITION until true; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen within {timeout}s")


def test_job_of_a_sigkilled_worker_is_retried(worker_app: Flask, tmp_path: Path) -> None:
    url = worker_app.config["SETTINGS"].redis.url
    connection = redis.Redis.from_url(url)
    first = start_worker(url, tmp_path / "worker-1.log")
    second: subprocess.Popen[bytes] | None = None
    try:
        with worker_app.test_request_context(headers={"X-Request-ID": "kill-test-1"}):
            worker_app.preprocess_request()
            queued = enqueue(jobs_fixtures.block_first_attempt, "kill-attempts", retry=Retry(max=2))
        wait_for(lambda: connection.get("kill-attempts") == b"1", 30, "the first attempt")
        if first.poll() is not None:
            fail((tmp_path / "worker-1.log").read_text())
        # The worker, its scheduler and its work horse (rq puts the horse in a group of its
        # own): nothing gets to clean up, as when a container is OOM-killed.
        horses = children(first.pid)
        assert horses, "the first attempt should be running in a work horse"
        kill_tree(first, signal.SIGKILL)
        first.wait(10)

        metrics_port = service_port()
        second = start_worker(url, tmp_path / "worker-2.log", metrics_port)
        with worker_app.app_context():
            job = Job.fetch(queued.id, connection=get_queue().connection)
        took = wait_for(
            lambda: job.get_status(refresh=True) == JobStatus.FINISHED,
            RECOVERY_BOUND + 10,
            "the retry of the abandoned job",
        )
        assert job.return_value() == "done on attempt 2"
        print(f"abandoned job retried and finished {took:.1f}s after the new worker started")
        assert took < RECOVERY_BOUND
        log = (tmp_path / "worker-2.log").read_text()
        assert '"request_id": "kill-test-1"' in log  # the retried job still logs its request id
        metrics = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        assert (
            'app_jobs_total{job="jobs_fixtures.block_first_attempt",outcome="finished"} 1.0'
            in metrics
        )
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                kill_tree(process, signal.SIGTERM)
                stop_pid(process, signal.SIGTERM)


def test_an_abandoned_upload_job_runs_its_failure_hook(
    pg_migrated: str, worker_app: Flask, tmp_path: Path
) -> None:
    url = worker_app.config["SETTINGS"].redis.url
    objects = tmp_path / "objects"
    settings = make_settings(pg_migrated, url).model_copy(
        update={"uploads": UploadSettings(local_dir=str(objects))}
    )
    settings.worker.max_retries = 0  # the abandoned attempt is the last one
    app = create_app(settings)
    auth = bearer_for(app, add_user(app, "abandoned@example.com"))
    client = app.test_client()
    declared = {"filename": "a.txt", "content_type": "text/plain", "size": 5}
    signed = client.post("/api/v1/uploads", json=declared, headers=auth).get_json()
    fifo = objects / signed["fields"]["key"]
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)  # reading the "file" blocks: the work horse hangs as on a stuck read
    env = {"DATABASE_URL": pg_migrated, "UPLOAD_LOCAL_DIR": str(objects)}
    first = start_worker(url, tmp_path / "worker-1.log", **env)
    second: subprocess.Popen[bytes] | None = None
    try:
        assert (
            client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth).get_json()[
                "status"
            ]
            == "processing"
        )
        wait_for(lambda: children(first.pid), 30, "the work horse")
        time.sleep(0.5)
        kill_tree(first, signal.SIGKILL)
        first.wait(10)
        second = start_worker(url, tmp_path / "worker-2.log", **env)

        def status() -> str:
            shown = client.get(f"/api/v1/uploads/{signed['id']}", headers=auth).get_json()
            return str(shown["status"])

        wait_for(lambda: status() == "failed", RECOVERY_BOUND + 10, "the failure hook")
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                kill_tree(process, signal.SIGTERM)
                stop_pid(process, signal.SIGTERM)
        with app.app_context():
            db.session.execute(text("TRUNCATE uploads, users RESTART IDENTITY CASCADE"))
            db.session.commit()
            db.engine.dispose()


def test_worker_refuses_to_start_without_redis() -> None:
    env = env_without_otel() | {"APP_ENV": "testing", "REDIS_URL": ""}
    result = subprocess.run(
        [sys.executable, "-m", "app.worker"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.decode().strip().splitlines() == [
        "error: REDIS_URL must be set to run the worker (jobs run inline without it)"
    ]
