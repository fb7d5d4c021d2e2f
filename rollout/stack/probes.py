"""HTTP probes: is a colour healthy with the expected version, which colour answers publicly."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import requests

from rollout.stack.errors import StackError


def wait_healthy(
    base_url: str, colour: str, version: str | None, wait: float, log_tail: Callable[[], str]
) -> None:
    """Require base_url/healthz to report colour and version, retrying for up to wait seconds."""
    deadline = time.monotonic() + wait
    last = "no answer"
    while True:
        try:
            body = requests.get(f"{base_url}/healthz", timeout=2).json()
            if body.get("color") == colour and body.get("version") == version:
                return
            last = f"answered {body}"
        except (requests.RequestException, ValueError) as exc:
            last = str(exc)
        if time.monotonic() >= deadline:
            raise StackError(f"{colour} not healthy as {version} ({last}); log: {log_tail()}")
        time.sleep(0.2)


def answering_colour(public_url: str, ca_cert: Path) -> str:
    """Ask through Nginx which colour answers (its X-App-Color header)."""
    try:
        resp = requests.get(f"{public_url}/healthz", verify=str(ca_cert), timeout=5)
    except requests.RequestException as exc:
        raise StackError(f"no answer through nginx: {exc}") from exc
    return resp.headers.get("X-App-Color", f"HTTP {resp.status_code}")


def wait_answering(public_url: str, ca_cert: Path, colour: str, wait: float) -> None:
    """Wait until colour answers through Nginx, else raise with the last answer."""
    deadline = time.monotonic() + wait
    while True:
        try:
            answer = answering_colour(public_url, ca_cert)
        except StackError as exc:
            answer = str(exc)
        if answer == colour:
            return
        if time.monotonic() > deadline:
            raise StackError(f"nginx does not route to the active colour {colour}: {answer}")
        time.sleep(0.2)
