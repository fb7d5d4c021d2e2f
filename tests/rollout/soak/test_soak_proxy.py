"""The latency proxy forwards bytes both ways and adds its delay only while switched on."""

from __future__ import annotations

import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

PROXY_PORT = 24710  # tests/rollout/conftest.py's stacks use 24100-24699


class Echo(socketserver.BaseRequestHandler):
    """Send every chunk back."""

    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.request.sendall(data)


@pytest.fixture
def proxy() -> Iterator[subprocess.Popen[bytes]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    upstream = server.server_address[1]
    cmd = [sys.executable, "-m", "rollout.soak.proxy", str(PROXY_PORT), str(upstream), "200"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        yield proc
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
        server.shutdown()
        server.server_close()


def round_trip(conn: socket.socket, payload: bytes) -> float:
    start = time.monotonic()
    conn.sendall(payload)
    got = b""
    while len(got) < len(payload):
        got += conn.recv(4096)
    assert got == payload
    return time.monotonic() - start


def test_delay_only_while_switched_on(proxy: subprocess.Popen[bytes]) -> None:
    with socket.create_connection(("127.0.0.1", PROXY_PORT), timeout=5) as conn:
        assert round_trip(conn, b"fast") < 0.15
        proxy.send_signal(signal.SIGUSR1)
        time.sleep(0.2)  # the signal is handled by the proxy's event loop
        assert round_trip(conn, b"slow") >= 0.4  # 200 ms each way
        proxy.send_signal(signal.SIGUSR2)
        time.sleep(0.2)
        assert round_trip(conn, b"fast again") < 0.15


def test_a_closed_upstream_closes_the_client() -> None:
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    cmd = [sys.executable, "-m", "rollout.soak.proxy", str(PROXY_PORT), str(port), "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        with socket.create_connection(("127.0.0.1", PROXY_PORT), timeout=5) as conn:
            assert conn.recv(10) == b""
    finally:
        proc.terminate()
        proc.wait(10)
