"""hostchecks/test_pod.py for real: testinfra's kubectl:// backend, through the fake
cluster's kubectl, into a "pod" made here: the app's gunicorn without capabilities in its own PID
and mount namespaces (unshare), which `kubectl exec` enters with nsenter. The pod runs on a
writable root filesystem, so exactly that check must fail; everything else must pass."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from rollout.verify.testinfra import POD_CHECKS, PodSpec, run_testinfra, service_facts
from tests.support.contract import REFERENCE
from tests.support.fakecluster.cluster import FakeCluster

REPO_ROOT = REFERENCE.root

PORT = 26010
# The venv's interpreter lives under /root here, which an unprivileged uid cannot read: the pod
# runs as this uid, with every capability dropped (as the real pods do).
UID = os.getuid()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.fixture
def pod(tmp_path: Path, fake_cluster: FakeCluster) -> Iterator[str]:
    """Start the pod; yield its name in the fake cluster (exec enters it); stop it by pid."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", PORT)) == 0:
            pytest.fail(f"port {PORT} is taken: a pod from an earlier run is still up")
    workdir = tmp_path / "pod"
    workdir.mkdir()
    workdir.chmod(0o777)
    env = {
        "PATH": os.environ["PATH"], "APP_ENV": "production", "APP_VERSION": "v7",
        "APP_COLOR": "green", "GUNICORN_BIND": f"127.0.0.1:{PORT}", "GUNICORN_WORKERS": "2",
        "GUNICORN_GRACEFUL_TIMEOUT": "2",
        "GUNICORN_WORKER_TMP_DIR": "/dev/shm", "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": f"sqlite:///{workdir}/app.db", "REDIS_URL": "redis://127.0.0.1:26011/0",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prom"), "PYTHONDONTWRITEBYTECODE": "1",
        "OTEL_SDK_DISABLED": "true",
    }  # fmt: skip
    gunicorn = str(REPO_ROOT / ".venv" / "bin" / "gunicorn")
    proc = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child",
         "setpriv", "--bounding-set=-all", "--inh-caps=-all", "--",
         gunicorn, "-c", "python:app.gunicorn_conf", "app.wsgi:app"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    master = 0
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode()[-1500:] if proc.stderr else ""
                    pytest.fail(f"the pod's gunicorn did not start: {err}")
                time.sleep(0.2)
        (master,) = _children(proc.pid)
        while len(_children(master)) < 2:  # one worker answers before the other has booted
            if time.monotonic() > deadline:
                pytest.fail(f"the pod's gunicorn has workers {_children(master)}, not 2")
            time.sleep(0.1)
        with fake_cluster.world() as world:
            green = world.update("Deployment", "app-green")
            green["spec"]["replicas"] = 1
            world.touch(green, "scale app-green 1")
            world.data["exec_pid"] = master
            (name,) = [p["metadata"]["name"] for p in world.pods(green)]
        yield name
    finally:
        # Stop the pod's PID 1 (gunicorn) by its host pid; unshare exits with it.
        for pid in (master, proc.pid):
            if pid and proc.poll() is None:
                os.kill(pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)


FACTS = service_facts(REFERENCE)


def run(tmp_path: Path, cluster: FakeCluster, pod: str, spec: PodSpec) -> tuple[bool, list[str]]:
    host = f"kubectl://{pod}?namespace=flask-kit&container=app"
    verdict = run_testinfra(POD_CHECKS, host, spec, tmp_path / "out", str(cluster.kubectl.parent))
    assert (tmp_path / "out" / "testinfra-junit.xml").exists()
    passed, failures = verdict.passed, verdict.reasons
    # testinfra names each case after its host: test_x[kubectl://POD] or test_y[kubectl://POD-a-b]
    names = [f.partition(": ")[0].replace(f"kubectl://{pod}", "") for f in failures]
    return passed, [n.replace("[]", "").replace("[-", "[") for n in names]


def test_only_the_writable_root_filesystem_fails(
    tmp_path: Path, fake_cluster: FakeCluster, pod: str
) -> None:
    spec = PodSpec(colour="green", version="v7", uid=UID, port=PORT, service=FACTS)
    passed, failed = run(tmp_path, fake_cluster, pod, spec)
    assert not passed
    assert failed == ["test_root_filesystem_is_read_only"]
    execs = [c for c in fake_cluster.calls() if "exec" in c]
    assert execs
    assert all(c[:4] == ["-n", "flask-kit", "-c", "app"] for c in execs)  # testinfra's form


def test_wrong_version_uid_and_port_are_caught(
    tmp_path: Path, fake_cluster: FakeCluster, pod: str
) -> None:
    spec = PodSpec(colour="blue", version="v8", uid=UID + 10001, port=8000, service=FACTS)
    _, failed = run(tmp_path, fake_cluster, pod, spec)
    assert set(failed) >= {
        "test_runs_as_the_app_uid[master]", "test_runs_as_the_app_uid[workers]",
        "test_listens_on_the_container_port",
        "test_release_and_colour_in_the_environment[version_env-version]",
        "test_release_and_colour_in_the_environment[colour_env-colour]",
        "test_answers_its_version",
    }  # fmt: skip
    assert json.loads(json.dumps(failed))  # plain strings, for the report
