"""What the load users share: one signed-in account, and which optional features exist.

Probed once per locust run (test_start), outside locust's stats, so a probe never counts
as a passing request. A feature that is absent (404/405) is reported as skipped in the
verdict and its tasks do not run; once present, any bad answer counts as a failure.
Credentials come from LOCUST_USER_EMAIL / LOCUST_USER_PASSWORD (the rollout tool keeps a
generated load-test account per stack; a cluster's gate Job reads them from the Secret
<prefix>-gate-account); the account is registered on first use. A read-only gate signs in to
nothing and writes nothing; a cleanup gate deletes the items it created when the load stops.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from loadtests.extras import extras

log = logging.getLogger("loadtests.reference.session")
ABSENT = frozenset({404, 405})
# A sign-in answered "unavailable" is asked again this often, a second apart: a restart of the
# database or Redis lasts seconds, and a gate that cannot sign in fails. A 500 (a broken
# release) and a 429 (the sign-in limit) are not: neither passes in seconds.
SIGN_IN_TRIES = 3
TRANSIENT = frozenset({502, 503, 504})
EMAIL_ENV, PASSWORD_ENV = "LOCUST_USER_EMAIL", "LOCUST_USER_PASSWORD"


@dataclass
class Shared:
    """State shared by every user of this locust process (reported through the gate plugin)."""

    token: str | None = None
    owner_id: int | None = None
    skipped: dict[str, str] = field(default_factory=lambda: extras.skipped)
    created_ids: list[str] = field(default_factory=lambda: extras.created_ids)

    def writes_enabled(self) -> bool:
        """Say whether item writes can be made (signed in, or an app without auth)."""
        return "writes" not in self.skipped

    def auth_headers(self) -> dict[str, str]:
        """Return the Authorization header of the shared account (empty without auth)."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


shared = Shared()


def _call(
    base: str, method: str, path: str, ctx: ssl.SSLContext, body: Any = None, token: str = ""
) -> tuple[int, Any]:
    """Make one JSON request outside locust; return (status, parsed body or None)."""
    headers = {"Content-Type": "application/json", "User-Agent": "locust-probe"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=10, context=ctx) as resp:  # noqa: S310
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None


def _sign_in(base: str, ctx: ssl.SSLContext) -> None:
    """Get a token for the load-test account, registering it the first time."""
    email, password = os.environ.get(EMAIL_ENV, ""), os.environ.get(PASSWORD_ENV, "")
    creds = {"email": email, "password": password}
    status, body = _token(base, ctx, creds if email else {})
    if status in ABSENT:
        shared.skipped["auth"] = f"POST /api/v1/auth/token answered {status}: anonymous writes"
        return
    if not email or not password:
        shared.skipped["writes"] = f"set {EMAIL_ENV} and {PASSWORD_ENV} to sign in: no writes"
        return
    if status == 401:
        reg_status, _ = _call(
            base, "POST", "/api/v1/auth/register", ctx, {**creds, "name": "Load test"}
        )
        log.info("registered load-test account %s: %s", email, reg_status)
        status, body = _token(base, ctx, creds)
    if status != 200 or not isinstance(body, dict):
        # Credentials are configured, so writes are what this gate must test: a refusal (a
        # 429 from the sign-in limit, a 5xx) fails the gate instead of passing it read-only.
        why = f"cannot sign in as {email} ({status})"
        shared.skipped["writes"] = f"{why}: no writes"
        extras.blocked.append(why)
        return
    shared.token = body["access_token"]


def _token(base: str, ctx: ssl.SSLContext, creds: dict[str, str]) -> tuple[int, Any]:
    """Ask for a token; an "unavailable" answer is asked again a few times, a second apart."""
    status, body = _call(base, "POST", "/api/v1/auth/token", ctx, creds)
    for _ in range(SIGN_IN_TRIES - 1):
        if status not in TRANSIENT:
            break
        log.warning("sign-in answered %s: retrying in 1 s", status)
        time.sleep(1)
        status, body = _call(base, "POST", "/api/v1/auth/token", ctx, creds)
    return status, body


def _legacy_owner(base: str, ctx: ssl.SSLContext) -> None:
    """Before auth existed, writes named an owner: take the owner of a listed item."""
    status, items = _call(base, "GET", "/api/v1/items?page_size=1", ctx)
    if status == 200 and items:
        shared.owner_id = int(items[0]["owner_id"])
    else:
        shared.skipped["writes"] = "no item to take an owner_id from: no writes"


def clean_up(host: str, ctx: ssl.SSLContext) -> None:
    """Delete the items this run created, as the account that created them (a cleanup gate)."""
    base, left = host.rstrip("/"), []
    for item_id in list(shared.created_ids):
        try:
            status, _ = _call(
                base, "DELETE", f"/api/v1/items/{item_id}", ctx, token=shared.token or ""
            )
        except OSError:
            status = 0
        if status not in (204, 404):
            left.append(item_id)
    log.warning(
        "cleanup: deleted %d items, %d left", len(shared.created_ids) - len(left), len(left)
    )


def probe(host: str, ctx: ssl.SSLContext) -> None:
    """Sign in and probe optional features; record what is skipped and why."""
    base = host.rstrip("/")
    if extras.read_only:
        # Not even the sign-in: a first one would register the account (a write).
        shared.skipped["writes"] = "read-only gate (the environment's gates file): no writes"
        shared.skipped["uploads"] = "read-only gate: tasks skipped"
        return
    try:
        _sign_in(base, ctx)
        if "auth" in shared.skipped:
            _legacy_owner(base, ctx)
        status, _ = _call(base, "GET", "/api/v1/uploads", ctx, token=shared.token or "")
        if status in ABSENT:
            shared.skipped["uploads"] = f"GET /api/v1/uploads answered {status}: tasks skipped"
        elif status == 401:
            shared.skipped["uploads"] = "uploads need a signed-in account: tasks skipped"
    except OSError as exc:
        shared.skipped["writes"] = f"probing {base} failed ({exc}): no writes"
        if os.environ.get(EMAIL_ENV) and shared.token is None:
            extras.blocked.append(f"cannot sign in: {exc}")  # as a refused sign-in, above
    for name, why in shared.skipped.items():
        log.warning("skipped %s: %s", name, why)
