"""Job functions the tests enqueue (importable by forked and separate worker processes)."""

from __future__ import annotations

import logging
import os
import time

import redis
from flask import current_app

log = logging.getLogger("tests.jobs")


def _redis() -> redis.Redis:
    return redis.Redis.from_url(current_app.config["SETTINGS"].redis.url)


def log_and_return(value: str) -> str:
    """Log a line (to check its request id) and return VALUE."""
    log.info("job body ran with %s", value)
    return value.upper()


def always_fails(counter: str) -> None:
    """Count the attempt, then fail."""
    _redis().incr(counter)
    raise ValueError("this job always fails")


def block_first_attempt(counter: str) -> str:
    """Attempt 1 blocks (the test kills its worker); later attempts finish at once."""
    attempt = _redis().incr(counter)
    log.info("attempt %s in pid %s", attempt, os.getpid())
    if attempt == 1:
        time.sleep(120)
    return f"done on attempt {attempt}"
