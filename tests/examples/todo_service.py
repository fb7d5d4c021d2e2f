"""The example service (examples/todo) as the kit runs it: its own venv, Alembic, gunicorn."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from kitcore.contract import load_contract
from stack.venvs import uv_binary
from tests.support.servers import free_port, stop_pid

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "todo"
# The example's suite uses 25600-25699 only: its PostgreSQL servers and gunicorn masters.
PORTS = (25600, 25700)
CONTRACT = load_contract(EXAMPLE / "kit.toml")
START_TIMEOUT = 30.0


def uv(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the kit's pinned uv on the example's project; fail the test with its output."""
    proc = subprocess.run(
        [uv_binary(), *args, "--project", str(EXAMPLE)],
        env={**os.environ, "UV_SYSTEM_CERTS": "1", "UV_PYTHON_DOWNLOADS": "never", **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"uv {' '.join(args)} failed: {proc.stderr[-2000:]}", pytrace=False)
    return proc


def build_venv(venv: Path) -> Path:
    """Build a venv from the example's own lock, as the stack does (the project not installed)."""
    uv(
        "sync", "--frozen", "--no-install-project", "--no-default-groups",
        "--python", sys.executable, env={"UV_PROJECT_ENVIRONMENT": str(venv)},
    )  # fmt: skip
    return venv


def service_env(venv: Path, **values: str) -> dict[str, str]:
    """Return a clean environment for the service's processes: its venv, its code, VALUES."""
    return {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/nonexistent"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(EXAMPLE),
        "PYTHONDONTWRITEBYTECODE": "1",  # nothing written into the source tree
        **values,
    }


def migration(venv: Path, database_url: str, argv: list[str]) -> str:
    """Run a migration command (the contract's) from the example's dir; return its stdout."""
    program, *args = argv
    proc = subprocess.run(
        [str(venv / "bin" / program), *args],
        cwd=EXAMPLE,
        env=service_env(venv, DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(argv)} failed: {proc.stderr[-2000:]}", pytrace=False)
    return proc.stdout


class TodoServer:
    """todo-api under a real gunicorn master from its venv, on 127.0.0.1, stopped by pid."""

    def __init__(self, venv: Path, database_url: str, log: Path) -> None:
        self.venv, self.log = venv, log
        self.port = free_port(PORTS)
        self.env = service_env(
            venv,
            DATABASE_URL=database_url,
            TODO_ENV="production",
            TODO_RELEASE="r-test-1",
            TODO_SLOT="green",
            GUNICORN_WORKERS="1",
            GUNICORN_THREADS="2",
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start gunicorn as the kit does and wait for the liveness route."""
        command = [
            str(self.venv / "bin" / "gunicorn"), "-c", "python:todo.gunicorn_settings",
            "--bind", f"127.0.0.1:{self.port}", "todo.web:application",
        ]  # fmt: skip
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                command, cwd=EXAMPLE, env=self.env, stdout=sink, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited: {self.log.read_text()[-2000:]}", pytrace=False)
            try:
                requests.get(f"{self.url}/_status/live", timeout=2)
                return
            except requests.RequestException:  # refused, or a worker still booting
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"todo-api did not answer within {START_TIMEOUT}s", pytrace=False)

    def stop(self) -> None:
        """Stop the master by pid (SIGTERM: in-flight requests finish)."""
        if self.process is not None:
            stop_pid(self.process, signal.SIGTERM, timeout=30)
        self.process = None
