"""A stub API server (gunicorn) for the locust users and gate tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def start_stub(port: int, **env: str) -> subprocess.Popen[bytes]:
    """Start the stub app on 127.0.0.1:port; fail (never skip) when it does not answer."""
    cmd = [
        sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1",
        "--threads", "16", "--chdir", str(HERE), "stub_app:app",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail(f"stub app did not start on port {port}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server by its pid."""
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=15)


@pytest.fixture(scope="module")
def healthy() -> Iterator[str]:
    proc = start_stub(24101)
    yield "http://127.0.0.1:24101"
    stop(proc)


@pytest.fixture(scope="module")
def slow() -> Iterator[str]:
    proc = start_stub(24102, STUB_DELAY_MS="120")
    yield "http://127.0.0.1:24102"
    stop(proc)


@pytest.fixture(scope="module")
def erroring() -> Iterator[str]:
    proc = start_stub(24103, STUB_FAIL_EVERY="7")
    yield "http://127.0.0.1:24103"
    stop(proc)


@pytest.fixture(scope="module")
def throttled() -> Iterator[str]:
    proc = start_stub(24104, STUB_SIGN_IN_STATUS="429")
    yield "http://127.0.0.1:24104"
    stop(proc)


@pytest.fixture(scope="module")
def restarting() -> Iterator[str]:
    """A stub whose first two sign-ins answer 503 (a database restarting)."""
    proc = start_stub(24105, STUB_SIGN_IN_FAILS="2")
    yield "http://127.0.0.1:24105"
    stop(proc)
