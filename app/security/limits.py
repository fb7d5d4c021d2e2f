"""Rate limits of the sign-in endpoints, and what they do when Redis is down.

Counters live in Redis when REDIS_URL is set (shared by every gunicorn worker and
both colours), in process memory otherwise. Every sign-in attempt counts against its
client IP (AUTH_LOGIN_RATE_LIMIT); refused ones also make that client back off from that
account, progressively (app/security/backoff.py): never a lockout of the account itself,
which would let anyone keep its owner out.

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
from functools import partial, wraps
from typing import Any, TypeVar, cast

from email_validator import EmailNotValidError
from flask import Flask, current_app, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException, ServiceUnavailable, TooManyRequests

from app.extensions import limiter
from app.security import backoff
from app.security.emails import normalized_email
from app.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
LIMITER_CONTEXT = "_limiter_request_context"  # set on the request context by Limiter.context
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
    _check_only_where_limited(app)
    # The limiter object outlives apps (tests build many); each app starts assuming
    # its storage is healthy, and flask-limiter re-detects an outage on first use.
    limiter._storage_dead = False


def _check_only_where_limited(app: Flask) -> None:
    """Drop the limiter's check of every request: each kit limit checks itself.

    Every limit here is a decorator (below), and flask-limiter's decorators run their own
    check when the view runs; the before_request hook only serves default, application and
    blueprint limits, which the kit does not set. Without them it costs every request (probes
    included) a limit resolution for nothing.
    """
    if any(app.config.get(f"RATELIMIT_{name}") for name in ("DEFAULT", "APPLICATION")):
        return
    hooks = app.before_request_funcs.get(None, [])
    app.before_request_funcs[None] = [h for h in hooks if h != limiter._check_request_limit]
    # Its response and teardown hooks (rate-limit headers, deduct_when, reset) each built an
    # empty limiter context for every response; only a request whose limit was checked, which
    # creates that context, has work for them.
    for registry in (app.after_request_funcs, app.teardown_request_funcs):
        registry[None] = [_if_limited(h) if _of_limiter(h) else h for h in registry.get(None, [])]


def _of_limiter(hook: Callable[..., Any]) -> bool:
    """Return whether HOOK is one flask-limiter registered for `limiter`."""
    bound_to = hook.args[0] if isinstance(hook, partial) and hook.args else None
    return limiter in (bound_to, getattr(hook, "__self__", None))


def _if_limited(hook: Callable[[T], T]) -> Callable[[T], T]:
    """Run HOOK only on requests where a limit was checked (they hold the limiter's context)."""

    @wraps(hook)
    def guarded(value: T) -> T:
        if hasattr(request_ctx, LIMITER_CONTEXT):
            return hook(value)
        return value  # the response, unchanged (teardown hooks' results are ignored)

    return guarded


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
        return "account:" + _as_signed_in(email.strip()[:MAX_ACCOUNT_KEY])
    return "ip:" + client_ip()


def _as_signed_in(email: str) -> str:
    """Return EMAIL in the form sign-in looks accounts up by (one key per account)."""
    try:
        return normalized_email(email)
    except EmailNotValidError:  # no such account can exist; still one key per spelling
        return email.lower()


def _setting(name: str) -> Callable[[], str]:
    """Return a callable reading the current app's AUTH_* limit NAME (resolved per request)."""

    def value() -> str:
        return str(getattr(current_app.config["SETTINGS"].auth, name))

    return value


def too_many() -> str:
    """Return the 429 message in the request's language."""
    return str(_("Too many attempts; wait a moment and try again."))


def sign_in_limits(view: F) -> F:
    """Limit sign-in: per IP on every attempt, back-off per account and client on failures."""
    per_ip = limiter.shared_limit(
        _setting("login_rate_limit"),
        scope="sign-in-ip",
        key_func=client_ip,
        methods=["POST"],
        error_message=too_many,
    )
    return cast(F, per_ip(_backoff(view)))


def _backoff(view: Callable[..., Any]) -> Callable[..., Any]:
    """Make a client that keeps failing to sign in as one account wait, longer each time."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        account = account_key() if request.method == "POST" else ""
        if not account.startswith("account:"):
            return view(*args, **kwargs)
        client = client_ip()
        wait = backoff.seconds_to_wait(account, client)
        if wait:
            # Even the right password waits: answering it would tell the guesser it was right.
            raise TooManyRequests(too_many(), retry_after=wait)
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except HTTPException as exc:
            if exc.code == 401:
                backoff.record_failure(account, client)
            raise
        if response.status_code == 401:
            backoff.record_failure(account, client)
        elif response.status_code < 400:
            backoff.record_success(account, client)
        return response

    return wrapper


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
