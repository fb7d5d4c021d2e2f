"""Enqueue background jobs on RQ, or run them inline when no Redis is configured."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from flask import current_app, g, has_request_context
from opentelemetry import propagate
from rq import Queue, Retry
from rq.registry import (
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)

from app.jobs.runner import run_inline
from app.redis_client import redis_client
from app.services.errors import ServiceError
from app.settings import Settings, WorkerSettings

log = logging.getLogger(__name__)


class JobsUnavailableError(ServiceError):
    """Redis cannot take the job right now; the caller may retry."""

    status = 503
    code = "service_unavailable"


@dataclass(frozen=True)
class Enqueued:
    """What the caller learns about a job it queued (or ran inline)."""

    id: str
    status: str  # queued (worker) | finished | failed (eager)
    result: Any = None


def retry_policy(worker: WorkerSettings) -> Retry | None:
    """Return rq's Retry with exponential backoff: base, 2*base, 4*base ... seconds."""
    if worker.max_retries == 0:
        return None
    intervals = [worker.retry_base_seconds * 2**n for n in range(worker.max_retries)]
    return Retry(max=worker.max_retries, interval=intervals)


def settings() -> Settings:
    """Return the current app's settings."""
    return current_app.config["SETTINGS"]  # type: ignore[no-any-return]


def get_queue(name: str | None = None) -> Queue:
    """Return the RQ queue (Redis required)."""
    worker = settings().worker
    return Queue(
        name or worker.queue,
        connection=redis_client.get(),
        default_timeout=worker.job_timeout,
    )


def current_request_id() -> str | None:
    """Return the id of the request being served, if any."""
    return g.get("request_id") if has_request_context() else None


def trace_carrier() -> dict[str, str]:
    """Return the current trace context (W3C traceparent) for the job to continue."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def enqueue(func: Callable[..., Any], *args: Any, retry: Retry | None = None) -> Enqueued:
    """Queue FUNC(*ARGS) with the request id in its meta; inline when Redis is not set."""
    request_id = current_request_id()
    if not redis_client.configured:
        status, result = run_inline(func, args, request_id, f"eager-{uuid.uuid4().hex}")
        return Enqueued(id="", status=status, result=result)
    worker = settings().worker
    try:
        job = get_queue().enqueue(
            func,
            *args,
            retry=retry or retry_policy(worker),
            meta={"request_id": request_id, "trace": trace_carrier()},
            job_timeout=worker.job_timeout,
            result_ttl=24 * 3600,
        )
    except redis.RedisError as exc:
        log.warning("enqueue failed: %s", type(exc).__name__)
        raise JobsUnavailableError(
            "Background jobs are unavailable right now; retry shortly."
        ) from None
    log.info("job queued", extra={"job": job.func_name, "job_id": job.id})
    return Enqueued(id=job.id, status="queued")


def job_counts() -> dict[str, dict[str, int]]:
    """Return how many jobs each state holds per queue (empty in eager mode)."""
    if not redis_client.configured:
        return {}
    queue = get_queue()
    name = queue.name
    return {
        "queued": {name: queue.count},
        "started": {name: StartedJobRegistry(queue=queue).count},
        "failed": {name: FailedJobRegistry(queue=queue).count},
        "finished": {name: FinishedJobRegistry(queue=queue).count},
        "scheduled": {name: ScheduledJobRegistry(queue=queue).count},  # type: ignore[no-untyped-call]
    }
