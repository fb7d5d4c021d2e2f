"""The app under a real gunicorn master (app/gunicorn_conf.py) on 127.0.0.1, stopped by pid."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import free_port, stop_pid

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "python:app.gunicorn_conf", "app.wsgi:app"]


def app_env(**values: str) -> dict[str, str]:
    """Return os.environ without the app's own variables, then VALUES (the app's config)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DATABASE", "REDIS"))}
    return env | values


class Gunicorn:
    """A gunicorn master with its workers, started and stopped by pid."""

    def __init__(
        self, env: dict[str, str], log: Path, port_range: tuple[int, int], timeout: float = 30
    ) -> None:
        self.port = free_port(port_range)
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.log = log
        self.timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, probe: str = "/healthz") -> None:
        """Start gunicorn and wait until PROBE answers (fails the test when it never does)."""
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                GUNICORN, env=self.env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited: {self.log.read_text()[-1500:]}", pytrace=False)
            try:
                if self.call("GET", probe)[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"gunicorn did not answer within {self.timeout}s", pytrace=False)

    def stop(self) -> None:
        """Stop the master by pid (SIGTERM: workers finish their requests)."""
        if self.process is not None:
            stop_pid(self.process, signal.SIGTERM, timeout=30)
        self.process = None

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        """One JSON request on a fresh connection (so any worker may take it)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Content-Type": "application/json", "Connection": "close"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(
            method, path, body=json.dumps(body) if body is not None else None, headers=headers
        )
        response = conn.getresponse()
        raw = response.read()
        conn.close()
        return response.status, json.loads(raw) if raw else None
