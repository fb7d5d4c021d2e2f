"""Run a job body with its correlation context and metrics, in a worker or inline."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from app.observability.context import job_id, job_request_id
from app.observability.metrics import JOB_DURATION, JOBS

log = logging.getLogger(__name__)


@contextmanager
def job_context(request_id: str | None, current_job_id: str) -> Iterator[None]:
    """Make log lines inside the block carry the job id and the enqueuing request's id."""
    request_token = job_request_id.set(request_id)
    job_token = job_id.set(current_job_id)
    try:
        yield
    finally:
        job_request_id.reset(request_token)
        job_id.reset(job_token)


def record(name: str, outcome: str, seconds: float) -> None:
    """Count a finished job and its duration."""
    JOBS.labels(name, outcome).inc()
    JOB_DURATION.labels(name, outcome).observe(seconds)


def run_inline(
    func: Callable[..., Any], args: tuple[Any, ...], request_id: str | None, current_job_id: str
) -> tuple[str, Any]:
    """Run FUNC now (eager mode); return (outcome, result or error text), never raise."""
    name = f"{func.__module__}.{func.__qualname__}"
    started = time.perf_counter()
    with job_context(request_id, current_job_id):
        log.info("job started (eager)", extra={"job": name})
        try:
            result = func(*args)
        except Exception as exc:
            log.exception("job failed (eager)", extra={"job": name})
            record(name, "failed", time.perf_counter() - started)
            return "failed", f"{type(exc).__name__}: {exc}"
        log.info("job finished (eager)", extra={"job": name})
    record(name, "finished", time.perf_counter() - started)
    return "finished", result
