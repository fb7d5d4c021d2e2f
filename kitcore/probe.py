"""The probe: one HTTP GET of a route, and which release answered it (version and colour).

Every health question of the kit goes through here: is a colour up with the expected version
(the stack starting it, the rollout deploying it), which colour answers the public route (the
switch confirming itself), and the smoke checks' requests. Where the service reports its
version and colour (route, JSON fields, headers) comes from its contract's [health] table.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kitcore.contract import Health


class ProbeError(OSError):
    """The route did not answer (connection refused, timeout, TLS failure)."""


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """Return the body parsed as JSON (ValueError when it is not)."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Identity:
    """Which release answered: its version and colour (None when it did not say)."""

    version: str | None
    colour: str | None

    def __str__(self) -> str:
        return f"{self.colour or '?'} {self.version or '?'}"


def get(url: str, ca_cert: Path | None = None, timeout: float = 5.0) -> Answer:
    """GET url (TLS verified against ca_cert when given); an HTTP error is an answer too."""
    context = ssl.create_default_context(cafile=str(ca_cert) if ca_cert else None)
    request = urllib.request.Request(url, headers={"User-Agent": "kit-probe"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as resp:  # noqa: S310
            return Answer(resp.status, _lower(resp.headers.items()), resp.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, _lower(exc.headers.items()), exc.read())
    except (OSError, ValueError) as exc:
        raise ProbeError(f"GET {url}: {exc}") from exc


def answered_by(answer: Answer, health: Health) -> Identity:
    """Read which release sent an answer: the identity route's JSON fields, else its headers."""
    try:
        body = answer.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    return Identity(
        version=body.get(health.version_field) or answer.headers.get(health.version_header.lower()),
        colour=body.get(health.colour_field) or answer.headers.get(health.colour_header.lower()),
    )


def identity(
    base_url: str, health: Health, ca_cert: Path | None = None, timeout: float = 5.0
) -> Identity:
    """Ask base_url's identity route which release answers it."""
    answer = get(base_url.rstrip("/") + health.identity, ca_cert, timeout)
    return answered_by(answer, health)


def wait_for(
    base_url: str,
    health: Health,
    expected: Identity,
    wait: float,
    ca_cert: Path | None = None,
    explain: Callable[[], str] = lambda: "",
) -> None:
    """Wait until base_url answers as expected (None fields match anything), else raise."""
    deadline = time.monotonic() + wait
    while True:
        try:
            seen = identity(base_url, health, ca_cert, timeout=2)
            last = f"answered by {seen}"
            if _matches(seen, expected):
                return
        except ProbeError as exc:
            last = str(exc)
        if time.monotonic() >= deadline:
            detail = explain()
            raise ProbeError(
                f"{base_url} does not answer as {expected} ({last})"
                + (f"; {detail}" if detail else "")
            )
        time.sleep(0.2)


def _matches(seen: Identity, expected: Identity) -> bool:
    return all(
        want is None or got == want
        for got, want in ((seen.version, expected.version), (seen.colour, expected.colour))
    )


def _lower(items: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in items}
