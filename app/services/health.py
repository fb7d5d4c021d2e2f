"""Readiness checks: each dependency the app needs to serve traffic."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import text

from app.extensions import db, redis_client

log = logging.getLogger(__name__)

Check = Callable[[], None]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one readiness check."""

    name: str
    ok: bool
    duration_ms: float
    error: str | None = None


def check_database() -> None:
    """Run a trivial query through the pool."""
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def check_redis() -> None:
    """PING Redis."""
    redis_client.get().ping()


def register_check(app: Flask, name: str, check: Check) -> None:
    """Add a readiness check; later features (S3, jobs) register theirs the same way."""
    app.extensions.setdefault("readiness_checks", {})[name] = check


def init_health(app: Flask) -> None:
    """Register the checks for the configured dependencies."""
    register_check(app, "database", check_database)
    if redis_client.configured:
        register_check(app, "redis", check_redis)


def run_checks() -> list[CheckResult]:
    """Run every registered check and time it; a failing check never raises."""
    results = []
    checks: dict[str, Check] = current_app.extensions.get("readiness_checks", {})
    for name, check in checks.items():
        started = time.perf_counter()
        error = None
        try:
            check()
        except Exception as exc:
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            log.warning("readiness check failed: %s: %s", name, error)
            if name == "database":
                db.session.rollback()
        duration = round((time.perf_counter() - started) * 1000, 2)
        results.append(CheckResult(name, error is None, duration, error))
    return results
