"""A private redis-server on 127.0.0.1 without persistence, stopped by pid."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis

from tests.support.servers import ServerError, fail, free_port, stop_pid

START_TIMEOUT = 30.0


class RedisServer:
    """A private redis-server on 127.0.0.1 without persistence."""

    def __init__(self, port_range: tuple[int, int]) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServerError("redis-server not found: install it (apt-get install redis-server)")
        self.binary = binary
        self.port = free_port(port_range)
        self.dir = Path(tempfile.mkdtemp(prefix="kit-app-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return a REDIS_URL for database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start redis-server and wait for PONG."""
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"redis-server exited with {self.process.returncode}")
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise ServerError(f"redis-server did not answer within {START_TIMEOUT}s")

    def stop(self) -> None:
        """Stop redis-server by pid."""
        if self.process is not None:
            stop_pid(self.process, signal.SIGTERM)
            self.process = None

    def cleanup(self) -> None:
        """Stop and delete its directory."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def serving_redis(port_range: tuple[int, int]) -> Iterator[RedisServer]:
    """Yield a started Redis on PORT_RANGE, then delete it (use with `yield from`)."""
    try:
        server = RedisServer(port_range)
        server.start()
    except ServerError as exc:
        fail(str(exc))
    yield server
    server.cleanup()
