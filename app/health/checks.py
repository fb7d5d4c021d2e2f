"""Readiness checks: each dependency, registered as required or optional.

A required check names what the app cannot serve without (the database): when it fails,
/readyz answers 503 and the pod leaves the Service. An optional check names what the app
serves without, degraded (Redis: cache bypass, in-memory rate limits, refused registrations;
S3: uploads): it is reported, in /readyz and as app_dependency_up, but never makes the pod
unready, so a Redis failover cannot take every pod of both colours out at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import text

from app.extensions import db
from app.redis_client import redis_client

log = logging.getLogger(__name__)

Probe = Callable[[], None]
CHECKS_KEY = "readiness_checks"
# Every check runs at once and /readyz answers within this budget, below the readiness
# probe's 3 s timeout (k8s/base/web/deployment.yaml): a hung optional dependency must not
# turn into a probe timeout, which would make the pod unready after all.
BUDGET_SECONDS = 2.0


@dataclass(frozen=True)
class Check:
    """A named probe of one dependency, and whether the app can serve without it."""

    name: str
    probe: Probe
    required: bool


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: never the error itself, which only goes to the log."""

    name: str
    required: bool
    ok: bool
    duration_ms: float

    @property
    def state(self) -> str:
        """Return "ok", "fail" (a required check failed) or "degraded" (an optional one)."""
        if self.ok:
            return "ok"
        return "fail" if self.required else "degraded"


def check_database() -> None:
    """Run a trivial query through the pool."""
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def check_redis() -> None:
    """PING Redis."""
    redis_client.get().ping()


def register_check(app: Flask, name: str, probe: Probe, *, required: bool) -> None:
    """Add a readiness check; REQUIRED says whether the app can serve without it."""
    app.extensions.setdefault(CHECKS_KEY, {})[name] = Check(name, probe, required)


def register_builtin_checks(app: Flask) -> None:
    """Register the database (required) and, when configured, Redis (optional)."""
    register_check(app, "database", check_database, required=True)
    if redis_client.configured:
        register_check(app, "redis", check_redis, required=False)


def run_checks() -> list[CheckResult]:
    """Run every registered check at once, bounded by BUDGET_SECONDS; never raise."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    checks: list[Check] = list(app.extensions.get(CHECKS_KEY, {}).values())
    if not checks:
        return []
    started = time.perf_counter()
    # Not a `with` block: leaving one waits for hung checks, which is what the budget avoids.
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readiness")
    futures = {check.name: pool.submit(_timed, app, check) for check in checks}
    wait(futures.values(), timeout=BUDGET_SECONDS)
    pool.shutdown(wait=False, cancel_futures=True)
    return [_result(check, futures[check.name], started) for check in checks]


def _timed(app: Flask, check: Check) -> float:
    """Run CHECK in APP's context (this is a pool thread); return its duration in ms."""
    started = time.perf_counter()
    with app.app_context():
        check.probe()
    return round((time.perf_counter() - started) * 1000, 2)


def _result(check: Check, future: Future[float], started: float) -> CheckResult:
    """Turn a finished, failed or unfinished check into its result, logging any failure."""
    if not future.done():
        log.warning(
            "readiness check timed out",
            extra={"check": check.name, "required": check.required, "error": "timeout"},
        )
        elapsed = round((time.perf_counter() - started) * 1000, 2)
        return CheckResult(check.name, check.required, False, elapsed)
    error = future.exception()
    if error is None:
        return CheckResult(check.name, check.required, True, future.result())
    # The detail (which may name a host) goes to the log only, never into a response.
    log.warning(
        "readiness check failed",
        extra={
            "check": check.name,
            "required": check.required,
            "error": f"{type(error).__name__}: {error}",
        },
    )
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    return CheckResult(check.name, check.required, False, elapsed)
