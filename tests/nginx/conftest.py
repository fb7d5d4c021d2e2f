"""A real Nginx rendered from nginx/templates in front of two tiny gunicorn colours."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kitcore.proxy import proxy_variables
from stack.certs import ensure_certificates
from stack.nginx import Listeners, Nginx
from stack.routing import Route, prepare_prefix
from tests.support.contract import REFERENCE

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "nginx" / "templates"
GUNICORN = Path(sys.executable).with_name("gunicorn")
# Ports from this suite's range (23000-23099); the stack tests use 23100+.
HTTP, HTTPS, PREVIEW, BLUE, GREEN = 23080, 23443, 23444, 23001, 23002


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Wait until something listens on 127.0.0.1:port, failing if proc died first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args} exited with {proc.returncode} before listening on {port}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process we started, by its pid."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Proxy:
    """The running proxy under test."""

    nginx: Nginx
    ca: Path
    static: Path
    blue: Route
    green: Route

    @property
    def pid_file(self) -> Path:
        """Return the master's pid file."""
        return self.nginx.prefix / "run" / "nginx.pid"

    def url(self, path: str, port: int = HTTPS) -> str:
        """Return the public (or another listener's) HTTPS URL of path."""
        return f"https://127.0.0.1:{port}{path}"


@pytest.fixture(scope="session")
def proxy() -> Iterator[Proxy]:
    """Start blue and green gunicorns and Nginx routing public->blue, preview->green."""
    if shutil.which("nginx") is None:
        pytest.fail("nginx is not installed (scripts/install-system-deps.sh)")
    # Nginx workers run as nobody: the tree they read static files from must be traversable.
    root = Path(tempfile.mkdtemp(prefix="kit-nginx-test-"))
    root.chmod(0o755)
    app_root = root / "release" / "app"
    (app_root / "static").mkdir(parents=True)
    _, cert, key = ensure_certificates(root / "tls")
    blue, green = Route("blue", BLUE, app_root), Route("green", GREEN, app_root)
    listeners = Listeners(
        root / "nginx",
        HTTP,
        HTTPS,
        PREVIEW,
        cert,
        key,
        hsts_max_age=600,
        service=proxy_variables(REFERENCE),
    )
    nginx = prepare_prefix(TEMPLATES, listeners, blue, green)
    procs = []
    try:
        for route in (blue, green):
            cmd = [str(GUNICORN), "--chdir", str(Path(__file__).parent), "-b"]
            cmd += [f"127.0.0.1:{route.port}", "-w", "2", "-k", "gthread", "--threads", "8"]
            cmd += ["--keep-alive", "30", "nginx_tiny_app:app"]
            env = os.environ | {"APP_COLOR": route.colour}
            procs.append(subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL))
            wait_port(route.port, procs[-1])
        procs.append(subprocess.Popen(nginx.command("-g", "daemon off;")))
        wait_port(HTTPS, procs[-1])
        yield Proxy(nginx, root / "tls" / "ca.pem", app_root / "static", blue, green)
    finally:
        for proc in reversed(procs):
            stop(proc)
        shutil.rmtree(root, ignore_errors=True)
