"""Progressive back-off of failed sign-ins, per account and client address.

A hard per-account limit locks the owner out along with the attacker: anyone can keep an
admin's account shut by failing to sign in as it. So refused sign-ins are counted per account
*and* client: after AUTH_LOGIN_BACKOFF_AFTER failures that client must wait 1 s before its next
attempt for that account, then 2 s, 4 s ... up to AUTH_LOGIN_BACKOFF_MAX_SECONDS, while the
owner signing in from elsewhere is never kept waiting. A success clears the count. The account
is named by the address sign-in itself compares (normalised: a fullwidth letter in the domain
is the ASCII one). Counters live with the rate limits (Redis, or per process while it is down).
Failures are forgotten a day after the first one.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from flask import current_app
from limits.storage import Storage

from app.extensions import limiter

log = logging.getLogger(__name__)
FAILURES_KEPT_SECONDS = 24 * 3600
_PREFIX = "kit-backoff"


def _storage() -> Storage:
    """Return the limiter's storage, or its per-process fallback while that is down."""
    fallback = getattr(limiter, "_fallback_storage", None)
    if getattr(limiter, "_storage_dead", False) and fallback is not None:
        return fallback  # type: ignore[no-any-return]
    return limiter.storage


def _keys(account: str, client: str) -> tuple[str, str]:
    """Return the failure-count and wait keys of ACCOUNT signing in from CLIENT."""
    digest = hashlib.sha256(f"{account}\n{client}".encode()).hexdigest()[:32]
    return f"{_PREFIX}:failures:{digest}", f"{_PREFIX}:wait:{digest}"


def _settings() -> tuple[int, int]:
    auth = current_app.config["SETTINGS"].auth
    return auth.login_backoff_after, auth.login_backoff_max_seconds


def seconds_to_wait(account: str, client: str) -> int:
    """Return how long CLIENT must still wait before trying ACCOUNT again (0: go ahead)."""
    _, wait_key = _keys(account, client)
    try:
        storage = _storage()
        if storage.get(wait_key) <= 0:
            return 0
        return max(1, math.ceil(storage.get_expiry(wait_key) - time.time()))
    except Exception:  # storage trouble must not refuse sign-ins: the per-IP limit still holds
        log.warning("sign-in back-off unavailable", exc_info=True)
        return 0


def record_failure(account: str, client: str) -> None:
    """Count a refused sign-in; past the free ones, make CLIENT wait twice as long as before."""
    failures_key, wait_key = _keys(account, client)
    free, longest = _settings()
    try:
        storage = _storage()
        failures = storage.incr(failures_key, FAILURES_KEPT_SECONDS)
        if failures > free:
            wait = min(2 ** min(failures - free - 1, 30), longest)
            storage.clear(wait_key)  # incr only sets the expiry of a new key
            storage.incr(wait_key, wait)
    except Exception:
        log.warning("sign-in failure not counted", exc_info=True)


def record_success(account: str, client: str) -> None:
    """Forget CLIENT's failures on ACCOUNT."""
    for key in _keys(account, client):
        try:
            _storage().clear(key)
        except Exception:
            log.warning("sign-in back-off not cleared", exc_info=True)
