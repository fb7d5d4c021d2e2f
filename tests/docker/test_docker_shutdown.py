"""SIGTERM drains an in-flight request and the container exits cleanly within the grace period."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator

import pytest
from docker_harness import DRAIN_PORT, Container, docker, inspect

pytestmark = pytest.mark.timeout(900)  # the first test may build the image from scratch
GRACE_SECONDS = 10  # GUNICORN_GRACEFUL_TIMEOUT set by production_env


@pytest.fixture
def draining(image: str) -> Iterator[Container]:
    """Run a container of its own, as this test stops it."""
    running = Container(f"kit-drain-test-{os.getpid()}", DRAIN_PORT).start()
    yield running
    running.remove()


def test_sigterm_finishes_the_request_in_flight(draining: Container) -> None:
    with socket.create_connection(("127.0.0.1", draining.port), timeout=GRACE_SECONDS) as conn:
        # Half a request: a worker thread has taken the connection and is reading it.
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.5)
        signalled = time.monotonic()
        docker("kill", "--signal", "TERM", draining.name)
        time.sleep(1)
        assert inspect(draining.name)["State"]["Running"], "stopped before the request ended"
        conn.sendall(b"Connection: close\r\n\r\n")
        response = b""
        while chunk := conn.recv(65536):
            response += chunk
    assert response.startswith(b"HTTP/1.1 200 "), response[:200]
    assert b'"status":"ok"' in response

    exit_code = int(docker("wait", draining.name, timeout=GRACE_SECONDS + 10).stdout.strip())
    elapsed = time.monotonic() - signalled
    assert exit_code == 0, docker("logs", draining.name, check=False).stderr[-2000:]
    assert elapsed < GRACE_SECONDS, f"took {elapsed:.1f} s to stop"


def test_new_connections_are_refused_after_sigterm(draining: Container) -> None:
    docker("kill", "--signal", "TERM", draining.name)
    docker("wait", draining.name, timeout=GRACE_SECONDS + 10)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", draining.port), timeout=2).close()
