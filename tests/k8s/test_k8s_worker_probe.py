"""The RQ worker's exec probe, run for real against a Redis server and an RQ worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from k8s_harness import REPO, Doc, contract, get

from tests.support.redis_server import serving_redis
from tests.support.servers import free_port, stop_pid

PORTS = (26000, 26099)  # this suite's range


@pytest.fixture
def redis_url() -> Iterator[str]:
    """Start a private redis-server on loopback (tests/support) and return its URL."""
    for server in serving_redis(PORTS):
        yield server.url


@pytest.fixture(scope="module")
def docs(renders: Callable[[str], dict[str, list[Doc]]]) -> list[Doc]:
    """Return the reference service's prod render (the other service has no worker)."""
    return renders("reference")["prod"]


def probe_command(docs: list[Doc]) -> list[str]:
    """Return the worker's liveness command, run with this interpreter."""
    worker = get(docs, "Deployment", contract("reference").k8s_name("worker"))
    container = worker["spec"]["template"]["spec"]["containers"][0]
    command = list(container["livenessProbe"]["exec"]["command"])
    assert container["startupProbe"]["exec"]["command"] == command
    assert container["readinessProbe"]["exec"]["command"] == command
    assert command[0] == "python"
    return [sys.executable, *command[1:]]


def probe(command: list[str], redis_url: str) -> int:
    """Run the probe as the kubelet would and return its exit status."""
    env = {**os.environ, "REDIS_URL": redis_url}
    return subprocess.run(command, env=env, capture_output=True, timeout=20, check=False).returncode


def test_worker_probe_follows_the_worker(docs: list[Doc], redis_url: str) -> None:
    command = probe_command(docs)
    assert probe(command, redis_url) != 0, "no worker registered yet"

    rq = str(REPO / ".venv" / "bin" / "rq")
    worker = subprocess.Popen(
        [rq, "worker", "--url", redis_url, "--with-scheduler", "default"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while probe(command, redis_url) != 0:
            assert worker.poll() is None, "the rq worker exited"
            assert time.monotonic() < deadline, "the probe never saw the running worker"
            time.sleep(0.5)
    finally:
        stop_pid(worker, timeout=15)
    # A stopped worker unregisters itself: the probe fails and the kubelet restarts the pod.
    assert probe(command, redis_url) != 0


def test_worker_probe_fails_fast_without_redis(docs: list[Doc]) -> None:
    command = probe_command(docs)
    started = time.monotonic()
    assert probe(command, f"redis://127.0.0.1:{free_port(PORTS)}/0") != 0
    assert time.monotonic() - started < 10
