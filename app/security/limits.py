"""Rate limits of the sign-in endpoints, and what they do when Redis is down.

Counters live in Redis when REDIS_URL is set (shared by every gunicorn worker and
both colours), in process memory otherwise. Limits are keyed per client IP and, for
sign-in, per account as well, so one address cannot spray many accounts and many
addresses cannot hammer one account.

Redis down, decided per endpoint:

- Sign-in (``POST /login``, ``POST /api/v1/auth/token``) and ``/api/v1/auth/refresh``
  fail OPEN to per-process in-memory counters (flask-limiter's in-memory fallback,
  same limits). Signing in is what every user needs during an incident; the
  fallback still bounds guessing (at most workers x limit per window) and argon2's
  cost bounds it further. Storage recovery is probed and counters move back to Redis.
- Registration (``POST /register``, ``POST /api/v1/auth/register``) fails CLOSED with
  a 503 and Retry-After: creating accounts is what bots abuse, nothing urgent is
  lost by waiting, and per-process counters would multiply the allowance.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from app.extensions import limiter
from app.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
MAX_ACCOUNT_KEY = 320  # longest valid email address
RETRY_AFTER_SECONDS = 5


def limiter_config(settings: Settings) -> dict[str, object]:
    """Return the RATELIMIT_* config keys for SETTINGS."""
    redis_url = settings.redis.url
    timeout = settings.redis.socket_timeout
    return {
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_STORAGE_OPTIONS": (
            {"socket_timeout": timeout, "socket_connect_timeout": timeout} if redis_url else {}
        ),
        "RATELIMIT_KEY_PREFIX": "kit-limits",
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": False,
    }


def init_limits(app: Flask, settings: Settings) -> None:
    """Bind the limiter to APP with Redis or memory storage."""
    app.config.update(limiter_config(settings))
    limiter.init_app(app)
    # The limiter object outlives apps (tests build many); each app starts assuming
    # its storage is healthy, and flask-limiter re-detects an outage on first use.
    limiter._storage_dead = False


def client_ip() -> str:
    """Key a limit by the client's address (the proxy's X-Forwarded-For when trusted)."""
    return get_remote_address()


def account_key() -> str:
    """Key a limit by the account named in a JSON or form body, else by address."""
    # Never raises: flask-limiter would take a key function's error for a storage outage.
    # Hostile bodies (too deep, too large, not UTF-8) fall back to the address; the view's
    # own parsing then answers them with 400/413.
    try:
        data: Any = request.get_json(silent=True) if request.is_json else request.form
    except (RecursionError, HTTPException, ValueError):
        data = None
    email = data.get("email") if hasattr(data, "get") else None
    if isinstance(email, str) and email.strip():
        return "account:" + email.strip().lower()[:MAX_ACCOUNT_KEY]
    return "ip:" + client_ip()


def _setting(name: str) -> Callable[[], str]:
    """Return a callable reading the current app's AUTH_* limit NAME (resolved per request)."""

    def value() -> str:
        return str(getattr(current_app.config["SETTINGS"].auth, name))

    return value


def too_many() -> str:
    """Return the 429 message in the request's language."""
    return str(_("Too many attempts; wait a moment and try again."))


def _failed_sign_in(response: Any) -> bool:
    """Count an attempt against the account only when the credentials were refused."""
    return bool(response.status_code in (400, 401, 422))


def sign_in_limits(view: F) -> F:
    """Limit a sign-in view: per IP on every attempt, per account on failed attempts."""
    limit = _setting("login_rate_limit")
    per_account = limiter.shared_limit(
        limit,
        scope="sign-in-account",
        key_func=account_key,
        deduct_when=_failed_sign_in,
        methods=["POST"],
        error_message=too_many,
    )
    per_ip = limiter.shared_limit(
        limit, scope="sign-in-ip", key_func=client_ip, methods=["POST"], error_message=too_many
    )
    return cast(F, per_ip(per_account(view)))


def refresh_limits(view: F) -> F:
    """Limit token refreshes per IP."""
    limit = limiter.limit(
        _setting("refresh_rate_limit"), key_func=client_ip, methods=["POST"], error_message=too_many
    )
    return cast(F, limit(view))


def register_limits(view: F) -> F:
    """Limit registrations per IP, refusing them while the shared counters are unreachable."""
    limit = limiter.shared_limit(
        _setting("register_rate_limit"),
        scope="register-ip",
        key_func=client_ip,
        methods=["POST"],
        error_message=too_many,
    )
    return cast(F, _fail_closed(limit(view)))


def _fail_closed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 503 instead of running VIEW while the limiter's own storage is down."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.method == "POST" and not storage_healthy():
            raise ServiceUnavailable(
                _("Registration is paused while the rate limiter is down; retry shortly."),
                retry_after=RETRY_AFTER_SECONDS,
            )
        return view(*args, **kwargs)

    return wrapper


def storage_healthy() -> bool:
    """Tell whether the limiter's shared storage answers (memory storage always does)."""
    try:
        return bool(limiter.storage.check())
    except Exception:  # a refused or timed-out connection: treat as down
        return False
