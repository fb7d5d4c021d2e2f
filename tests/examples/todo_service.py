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


def run(
    argv: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a command from the example's dir and return what it did (output captured)."""
    return subprocess.run(
        argv, cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def run_or_fail(argv: list[str], env: dict[str, str], timeout: float = 120) -> str:
    """Run a command from the example's dir; fail the test with its stderr; return stdout."""
    proc = run(argv, env, timeout)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(argv)} failed: {proc.stderr[-2000:]}", pytrace=False)
    return proc.stdout


def uv(*args: str, env: dict[str, str] | None = None) -> str:
    """Run the kit's pinned uv on the example's project (the OS trust store, no downloads)."""
    uv_env = {**os.environ, "UV_SYSTEM_CERTS": "1", "UV_PYTHON_DOWNLOADS": "never", **(env or {})}
    return run_or_fail([uv_binary(), *args, "--project", str(EXAMPLE)], uv_env, timeout=600)


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


def in_venv(venv: Path, argv: list[str]) -> list[str]:
    """Return argv with its program taken from the venv (as the stack runs a contract's)."""
    program, *args = argv
    return [str(venv / "bin" / program), *args]


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
        """Start gunicorn as the kit does and wait for the liveness route (stopped on failure)."""
        command = [
            *in_venv(self.venv, ["gunicorn"]), "-c", "python:todo.gunicorn_settings",
            "--bind", f"127.0.0.1:{self.port}", "todo.web:application",
        ]  # fmt: skip
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                command, cwd=EXAMPLE, env=self.env, stdout=sink, stderr=subprocess.STDOUT
            )
        try:
            self._wait_until_live()
        except BaseException:  # a failed start (or Ctrl-C) leaves no gunicorn behind
            self.stop()
            raise

    def _wait_until_live(self) -> None:
        """Return once the liveness route answers; fail the test when gunicorn exits or hangs."""
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited: {self.log.read_text()[-2000:]}", pytrace=False)
            try:
                requests.get(f"{self.url}/_status/live", timeout=2)
                return
            except requests.RequestException:  # refused, or a worker still booting
                time.sleep(0.1)
        pytest.fail(f"todo-api did not answer within {START_TIMEOUT}s", pytrace=False)

    def stop(self) -> None:
        """Stop the master by pid (SIGTERM: in-flight requests finish)."""
        if self.process is not None:
            stop_pid(self.process, signal.SIGTERM, timeout=30)
        self.process = None
