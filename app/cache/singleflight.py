"""get_or_compute: one recomputation of a cold key at a time (thundering-herd protection).

With Redis the guard is a short Redis lock shared by every worker process and every
instance; without Redis (development) it is a per-process lock. Callers that lose the race
wait for the winner's value, bounded by WAIT_SECONDS, then compute it themselves rather than
fail: the lock limits load, it never makes a request fail.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis

from app.cache import store
from app.observability.metrics import CACHE, CACHE_RECOMPUTES
from app.redis_client import redis_client

T = TypeVar("T")

LOCK_SECONDS = 10.0  # a crashed winner's lock expires after this
WAIT_SECONDS = 5.0  # how long losers wait for the winner's value
POLL_SECONDS = 0.02

_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


def _local_lock(key: str) -> threading.Lock:
    """Return the process-wide lock of KEY."""
    with _local_guard:
        return _local_locks.setdefault(key, threading.Lock())


def get_or_compute(
    name: str,
    key: str,
    compute: Callable[[], T],
    timeout: int,
    cacheable: Callable[[T], bool] = lambda _: True,
) -> T:
    """Return KEY's cached value, computing and storing it once when cold."""
    value = store.get(key)
    if value is not store.MISSING:
        CACHE.labels(name, "hit").inc()
        return value  # type: ignore[no-any-return]
    CACHE.labels(name, "miss").inc()
    if not store.state().available:
        return compute()

    def fill() -> T:
        again = store.get(key)  # the previous holder may have filled it meanwhile
        if again is not store.MISSING:
            return again  # type: ignore[no-any-return]
        CACHE_RECOMPUTES.labels(name).inc()
        result = compute()
        if cacheable(result):
            store.put(key, result, timeout)
        return result

    if store.state().uses_redis:
        return _with_redis_lock(key, fill, compute)
    return _with_local_lock(key, fill, compute)


def _with_local_lock(key: str, fill: Callable[[], T], compute: Callable[[], T]) -> T:
    """Serialise fills of KEY inside this process."""
    lock = _local_lock(key)
    if not lock.acquire(timeout=WAIT_SECONDS):
        return compute()
    try:
        return fill()
    finally:
        lock.release()


def _with_redis_lock(key: str, fill: Callable[[], T], compute: Callable[[], T]) -> T:
    """Let one holder of a short Redis lock fill KEY; others poll for its value."""
    try:
        lock = redis_client.get().lock(f"lock:{key}", timeout=LOCK_SECONDS, blocking=False)
        acquired = lock.acquire()
    except redis.RedisError as exc:
        store.state().failed(exc)
        return compute()
    if acquired:
        try:
            return fill()
        finally:
            _release(lock)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        value: Any = store.get(key)
        if value is not store.MISSING:
            return value  # type: ignore[no-any-return]
        if not store.state().available:
            break
    return compute()


def _release(lock: Any) -> None:
    """Release the lock; an expired or unreachable lock needs no release."""
    with contextlib.suppress(redis.RedisError, redis.exceptions.LockError):
        lock.release()
