"""The RQ worker: `python -m app.worker [--burst] [QUEUE ...]`, jobs run in the app context.

A job whose worker dies (SIGKILL, OOM, lost node) stops heart-beating. Its StartedJobRegistry
entry expires WORKER_MONITORING_INTERVAL + WORKER_HEARTBEAT_GRACE seconds after the last
heartbeat (rq itself hard-codes 60 s of grace; KitWorker makes it a setting). The next
registry clean-up then retries the job while it has retries left, else moves it to the
FailedJobRegistry with AbandonedJobError. Clean-ups run in every live worker between jobs and,
while idle, every WORKER_MAINTENANCE_INTERVAL seconds (the idle wait is set to match), and
also on every /metrics scrape (counting the registry cleans it). Bound with the defaults:
10 + 20 + 30 = 60 seconds; measured 2.8 s in tests with 1 + 2 + 1. A job retried with a
backoff interval waits for the rq scheduler, whose lock a dead worker holds for up to 61 s.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable

import redis
from flask import Flask
from opentelemetry import propagate, trace
from prometheus_client import start_http_server
from rq import Queue, Worker
from rq.exceptions import AbandonedJobError
from rq.job import Job, JobStatus

from app import create_app
from app.jobs.periodic import run_periodic_tasks
from app.jobs.runner import job_context, record
from app.jobs.uploads import processing_failed
from app.settings import ConfigError, WorkerSettings, load_settings

log = logging.getLogger("app.worker")

# Job function -> what to do once it has failed for good (its arguments are passed on).
FINAL_FAILURE_HOOKS: dict[str, Callable[..., None]] = {
    "app.jobs.uploads.process_upload": processing_failed,
}

# rq's idle wait (BLPOP) is worker_ttl - 15 seconds; maintenance runs only between waits.
_RQ_DEQUEUE_MARGIN = 15


class KitWorker(Worker):
    """rq.Worker that runs each job in the app context with the enqueuing request's id."""

    def __init__(
        self, queues: list[str], *, app: Flask, settings: WorkerSettings, connection: redis.Redis
    ) -> None:
        self.app = app
        self.heartbeat_grace = settings.heartbeat_grace
        super().__init__(
            queues,
            connection=connection,
            job_monitoring_interval=settings.monitoring_interval,
            maintenance_interval=settings.maintenance_interval,
            worker_ttl=settings.maintenance_interval + _RQ_DEQUEUE_MARGIN,
        )
        # Registry clean-up passes abandoned jobs to these handlers, not to perform_job.
        self.push_exc_handler(self._abandoned)  # type: ignore[no-untyped-call]

    def _abandoned(self, job: Job, exc_type: type, *_exc: object) -> bool:
        """Run the final-failure hook of a job whose worker died, once it has no retry left."""
        if exc_type is AbandonedJobError and not (job.retries_left and job.retries_left > 0):
            with self.app.app_context():
                on_final_failure(job)
        return True  # let other handlers run too

    def run_maintenance_tasks(self) -> None:
        """Clean rq's registries, then run the app's periodic tasks (reaper, outbox relay)."""
        super().run_maintenance_tasks()  # type: ignore[no-untyped-call]
        with self.app.app_context():
            run_periodic_tasks()

    def get_heartbeat_ttl(self, job: Job) -> int:
        """Expire a silent job's registry entry after the grace period (rq uses 60 s)."""
        interval = self.job_monitoring_interval
        if job.timeout and job.timeout > 0:
            interval = min(job.timeout - self.current_job_working_time, interval)
        return int(interval) + self.heartbeat_grace

    def perform_job(self, job: Job, queue: Queue) -> bool:
        """Run the job (in the work horse) in the app context, its log context and a span."""
        request_id = job.meta.get("request_id")
        parent = propagate.extract(job.meta.get("trace") or {})  # the enqueuing request's trace
        provider = self.app.extensions.get("tracer_provider")  # set when tracing is on
        tracer = provider.get_tracer(__name__) if provider else trace.get_tracer(__name__)
        span = tracer.start_as_current_span(
            f"job {job.func_name}",
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            attributes={"app.request_id": request_id or "", "messaging.message.id": job.id},
        )
        with self.app.app_context(), job_context(request_id, job.id), span:
            ok = bool(super().perform_job(job, queue))
            if not ok and job.get_status(refresh=True) == JobStatus.FAILED:
                on_final_failure(job)
            return ok

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Run the job and count its outcome here, in the long-lived worker process."""
        started = time.perf_counter()
        super().execute_job(job, queue)
        try:
            status = job.get_status(refresh=True)
        except redis.RedisError:
            status = None
        outcome = {
            JobStatus.FINISHED: "finished",
            JobStatus.FAILED: "failed",
            JobStatus.SCHEDULED: "retried",
            JobStatus.QUEUED: "retried",
        }.get(status, "unknown")  # type: ignore[arg-type]
        record(job.func_name or "unknown", outcome, time.perf_counter() - started)


def on_final_failure(job: Job) -> None:
    """Run the job's final-failure hook (after its last retry), if it has one."""
    hook = FINAL_FAILURE_HOOKS.get(job.func_name or "")
    if hook is None:
        return
    try:
        hook(*job.args)
    except Exception:  # the job is in the FailedJobRegistry either way
        log.exception("final-failure hook of %s failed", job.func_name)


def build_worker(app: Flask, queues: list[str] | None = None) -> KitWorker:
    """Return a worker for APP's Redis and QUEUES (default: WORKER_QUEUE)."""
    settings = app.config["SETTINGS"]
    # Its own connection: rq raises the socket timeout above its blocking wait.
    connection = redis.Redis.from_url(
        settings.redis.url, socket_connect_timeout=settings.redis.socket_timeout
    )
    names = queues or [settings.worker.queue]
    return KitWorker(names, connection=connection, app=app, settings=settings.worker)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m app.worker", description=__doc__)
    parser.add_argument("--burst", action="store_true", help="work until the queues are empty")
    parser.add_argument("queues", nargs="*", help="queues to work on (default: WORKER_QUEUE)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start the worker; one clear line and a non-zero exit when it cannot."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not settings.redis.url:
        print(
            "error: REDIS_URL must be set to run the worker (jobs run inline without it)",
            file=sys.stderr,
        )
        return 2
    app = create_app(settings)
    if settings.worker.metrics_port:
        start_http_server(settings.worker.metrics_port, addr=settings.worker.metrics_addr)
    try:
        worker = build_worker(app, args.queues or None)
        worker.work(
            burst=args.burst, with_scheduler=not args.burst, logging_level=settings.log_level
        )
    except redis.RedisError as exc:
        print(f"error: cannot reach Redis: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
