"""testinfra checks of one idle pod (kubectl:// backend); spec from ROLLOUT_CHECK_SPEC.

Run by rollout.kube.checks as
  pytest rollout/checks/test_pod.py --hosts='kubectl://POD?namespace=NS&container=app'
The spec names what the pod must show: colour, version, uid and port (from the Deployment).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

SPEC: dict[str, Any] = json.loads(os.environ.get("ROLLOUT_CHECK_SPEC", "{}"))
TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"  # noqa: S105 - a path
HEALTHZ = (
    'python3 -c "import urllib.request as u; '
    "print(u.urlopen('http://127.0.0.1:{port}/healthz', timeout=5).read().decode())\""
)


@pytest.fixture(scope="module")
def master(host: Any) -> Any:
    """The gunicorn master: the gunicorn process whose parent is not gunicorn (tini is)."""
    procs = [p for p in host.process.filter() if "gunicorn" in p.args]
    pids = {p.pid for p in procs}
    masters = [p for p in procs if p.ppid not in pids]
    assert len(masters) == 1, f"expected one gunicorn master, got {[p.args for p in masters]}"
    return masters[0]


@pytest.fixture(scope="module")
def environ(host: Any, master: Any) -> dict[str, str]:
    """The master's environment as the kernel holds it."""
    raw = host.file(f"/proc/{master.pid}/environ").content.split(b"\0")
    pairs = (item.decode().partition("=") for item in raw if b"=" in item)
    return {k: v for k, _, v in pairs}


def test_spec_given() -> None:
    assert {"colour", "version", "uid", "port"} <= SPEC.keys(), "ROLLOUT_CHECK_SPEC incomplete"


def test_master_is_gunicorn(master: Any) -> None:
    assert "app.wsgi:app" in master.args


@pytest.mark.parametrize("role", ["master", "workers"])
def test_runs_as_the_app_uid(host: Any, master: Any, role: str) -> None:
    procs = [master] if role == "master" else host.process.filter(ppid=master.pid)
    assert procs, f"no {role}"
    assert {p.uid for p in procs} == {SPEC["uid"]}


def test_workers_as_configured(host: Any, master: Any, environ: dict[str, str]) -> None:
    workers = host.process.filter(ppid=master.pid)
    assert len(workers) == int(environ.get("GUNICORN_WORKERS", "0")), environ


def test_listens_on_the_container_port(host: Any, environ: dict[str, str]) -> None:
    assert environ.get("GUNICORN_BIND", "").endswith(f":{SPEC['port']}")
    assert host.check_output(f"ss -Htln 'sport = :{SPEC['port']}'").strip()


@pytest.mark.parametrize(
    ("name", "key"), [("APP_VERSION", "version"), ("APP_COLOR", "colour"), ("APP_ENV", "env")]
)
def test_environment(environ: dict[str, str], name: str, key: str) -> None:
    assert environ.get(name) == SPEC.get(key, "production")


def test_root_filesystem_is_read_only(host: Any) -> None:
    assert "ro" in host.mount_point("/").options


def test_capabilities_dropped(host: Any, master: Any) -> None:
    status = host.file(f"/proc/{master.pid}/status").content_string
    cap_eff = next(line.split()[1] for line in status.splitlines() if line.startswith("CapEff"))
    assert int(cap_eff, 16) == 0


def test_no_api_token_mounted(host: Any) -> None:
    assert not host.file(TOKEN).exists


def test_answers_its_version(host: Any) -> None:
    health = json.loads(host.check_output(HEALTHZ.format(port=SPEC["port"])))
    assert health["status"] == "ok"
    assert (health["version"], health["color"]) == (SPEC["version"], SPEC["colour"])
