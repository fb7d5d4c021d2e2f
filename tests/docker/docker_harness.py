"""Start a Docker daemon, build the image and run containers for the image tests."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# CI tests (and then pushes) the tag it builds: KIT_TEST_IMAGE and KIT_TEST_APP_VERSION.
IMAGE = os.environ.get("KIT_TEST_IMAGE", "flask-deploy-kit:test")
APP_VERSION = os.environ.get("KIT_TEST_APP_VERSION", "image-test")
# Test servers bind 127.0.0.1 on ports from this suite's range (22000-22999).
APP_PORT = 22080
# Figures measured in this run (size, build and start-up times): printed at the end of the run
# by conftest.py and written to reports/docker-image.txt.
SUMMARY: list[str] = []
REPORT = ROOT / "reports" / "docker-image.txt"


def record(line: str) -> None:
    """Keep one measured figure for the run's summary and its report file."""
    SUMMARY.append(line)
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(SUMMARY) + "\n")


DRAIN_PORT = 22081


def in_ci() -> bool:
    """Tell whether a missing Docker must fail the suite instead of skipping it."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Skip on a developer machine without Docker; fail under CI=true."""
    if in_ci():
        pytest.fail(f"Docker is required under CI=true: {reason}")
    pytest.skip(reason)


def docker(
    *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the docker CLI against the daemon chosen by DOCKER_HOST."""
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=check, timeout=timeout
    )


def start_daemon() -> tuple[str, bool]:
    """Return a DOCKER_HOST that answers and whether this call started the daemon."""
    script = str(ROOT / "scripts" / "docker-daemon.sh")
    was_running = subprocess.run([script, "status"], capture_output=True).returncode == 0
    started = subprocess.run([script, "start"], capture_output=True, text=True, timeout=180)
    if started.returncode != 0:
        unavailable(f"no Docker daemon: {started.stderr.strip().splitlines()[-1:]}")
    host = started.stdout.strip().rpartition("DOCKER_HOST=")[2]
    return host, not was_running


def stop_daemon() -> None:
    """Stop the private daemon (by its pid file) that start_daemon started."""
    subprocess.run([str(ROOT / "scripts" / "docker-daemon.sh"), "stop"], check=True, timeout=60)


def build_image(extra_ca: Path, log: Path) -> float:
    """Build IMAGE with `make image`'s script; return the seconds it took."""
    env = {
        **os.environ,
        "IMAGE": IMAGE,
        "APP_VERSION": APP_VERSION,
        "EXTRA_CA_FILE": str(extra_ca),
    }
    log.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with log.open("w") as out:
        done = subprocess.run(
            [str(ROOT / "scripts" / "docker-image.sh")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=900,
            check=False,
        )
    if done.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-25:])
        pytest.fail(f"the image did not build (log {log}):\n{tail}")
    return time.monotonic() - began


def inspect(ref: str, kind: str = "container") -> dict[str, Any]:
    """Return `docker inspect` of one container or image."""
    data: list[dict[str, Any]] = json.loads(docker(kind, "inspect", ref).stdout)
    return data[0]


def production_env(port: int) -> list[str]:
    """Return `-e` options for a production container that needs no live backing service."""
    env = {
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "2",
        "GUNICORN_GRACEFUL_TIMEOUT": "10",
        # Throwaway values: liveness and startup never connect to them.
        "SECRET_KEY": secrets.token_hex(24),
        "DATABASE_URL": "postgresql://kit@127.0.0.1:1/kit",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    return [opt for key, value in env.items() for opt in ("-e", f"{key}={value}")]


@dataclass
class Container:
    """A running container of IMAGE, hardened as production runs it."""

    name: str
    port: int

    def start(self) -> Container:
        """Run it read-only with a tmpfs /tmp, no capabilities, on the host network."""
        docker("rm", "-f", self.name, check=False)
        docker(
            "run", "--detach", "--name", self.name, "--network", "host",
            "--read-only", "--tmpfs", "/tmp:rw,noexec,nosuid,size=16m",
            "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
            "--health-interval", "2s", "--health-start-period", "5s",
            *production_env(self.port), IMAGE,
        )  # fmt: skip
        self.wait_serving()
        return self

    def wait_serving(self, timeout: float = 30) -> None:
        """Wait until /healthz answers, failing with the container's log if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):  # noqa: S310 (http URL)
                    return
            except OSError:
                if not inspect(self.name)["State"]["Running"]:
                    break
                time.sleep(0.3)
        logs = docker("logs", self.name, check=False)
        pytest.fail(f"container {self.name} is not serving:\n{logs.stdout}{logs.stderr}")

    @property
    def url(self) -> str:
        """Return the base URL of the app inside."""
        return f"http://127.0.0.1:{self.port}"

    def remove(self) -> None:
        """Remove it, whatever state it is in."""
        docker("rm", "-f", "-v", self.name, check=False)
