"""testinfra checks of one idle pod (kubectl:// backend); spec from ROLLOUT_CHECK_SPEC.

Run by rollout.verify.testinfra as
  pytest rollout/verify/hostchecks/test_pod.py --hosts='kubectl://POD?namespace=NS&container=app'
The spec names what the pod must show: colour, version, uid and port (from the Deployment).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import pytest

SPEC: dict[str, Any] = json.loads(os.environ.get("ROLLOUT_CHECK_SPEC", "{}"))
SERVICE: dict[str, Any] = SPEC.get("service", {})
TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"  # noqa: S105 - a path
IDENTITY = (
    'python3 -c "import urllib.request as u; '
    "print(u.urlopen('http://127.0.0.1:{port}{path}', timeout=5).read().decode())\""
)


@dataclass(frozen=True)
class Proc:
    """One process as ps shows it."""

    pid: int
    ppid: int
    uid: int
    args: str


@pytest.fixture(scope="module")
def procs(host: Any) -> list[Proc]:
    """Every process of the container, parsed here: gunicorn's titles put spaces in `comm`,
    which testinfra's process module splits into the wrong columns."""
    out = host.check_output("ps -ww -eo pid=,ppid=,uid=,args=")
    rows = (line.split(None, 3) for line in out.splitlines() if line.strip())
    return [Proc(int(r[0]), int(r[1]), int(r[2]), r[3] if len(r) > 3 else "") for r in rows]


@pytest.fixture(scope="module")
def master(procs: list[Proc]) -> Proc:
    """The gunicorn master: the gunicorn process whose parent is not gunicorn (tini is)."""
    gunicorns = [p for p in procs if "gunicorn" in p.args]
    pids = {p.pid for p in gunicorns}
    masters = [p for p in gunicorns if p.ppid not in pids]
    assert len(masters) == 1, f"expected one gunicorn master, got {[p.args for p in masters]}"
    return masters[0]


@pytest.fixture(scope="module")
def workers(procs: list[Proc], master: Proc) -> list[Proc]:
    """The master's children."""
    return [p for p in procs if p.ppid == master.pid]


@pytest.fixture(scope="module")
def environ(host: Any, master: Proc) -> dict[str, str]:
    """The master's environment as the kernel holds it."""
    raw = host.file(f"/proc/{master.pid}/environ").content.split(b"\0")
    pairs = (item.decode().partition("=") for item in raw if b"=" in item)
    return {k: v for k, _, v in pairs}


def test_spec_given() -> None:
    wanted = {"colour", "version", "uid", "port", "service"}
    assert wanted <= SPEC.keys(), "ROLLOUT_CHECK_SPEC incomplete"


def test_master_serves_the_contracts_entry_point(master: Proc) -> None:
    assert SERVICE["wsgi"] in master.args


@pytest.mark.parametrize("role", ["master", "workers"])
def test_runs_as_the_app_uid(
    master: Proc, workers: list[Proc], procs: list[Proc], role: str
) -> None:
    mine = [master] if role == "master" else workers
    assert mine, f"no {role} among {procs}"
    assert {p.uid for p in mine} == {SPEC["uid"]}


def test_workers_as_configured(workers: list[Proc], environ: dict[str, str]) -> None:
    assert len(workers) == int(environ.get("GUNICORN_WORKERS", "0")), environ


def test_listens_on_the_container_port(host: Any, environ: dict[str, str]) -> None:
    assert environ.get("GUNICORN_BIND", "").endswith(f":{SPEC['port']}")
    assert host.check_output(f"ss -Htln 'sport = :{SPEC['port']}'").strip()


@pytest.mark.parametrize(("env", "key"), [("version_env", "version"), ("colour_env", "colour")])
def test_release_and_colour_in_the_environment(environ: dict[str, str], env: str, key: str) -> None:
    assert environ.get(SERVICE[env]) == SPEC[key]


@pytest.mark.parametrize("name", sorted(SERVICE.get("production_env", {})))
def test_production_environment(environ: dict[str, str], name: str) -> None:
    assert environ.get(name) == SERVICE["production_env"][name]


def test_root_filesystem_is_read_only(host: Any) -> None:
    assert "ro" in host.mount_point("/").options


def test_capabilities_dropped(host: Any, master: Proc) -> None:
    status = host.file(f"/proc/{master.pid}/status").content_string
    cap_eff = next(line.split()[1] for line in status.splitlines() if line.startswith("CapEff"))
    assert int(cap_eff, 16) == 0


def test_no_api_token_mounted(host: Any) -> None:
    assert not host.file(TOKEN).exists


def test_answers_its_version(host: Any) -> None:
    command = IDENTITY.format(port=SPEC["port"], path=SERVICE["identity"])
    identity = json.loads(host.check_output(command))
    seen = (identity[SERVICE["version_field"]], identity[SERVICE["colour_field"]])
    assert seen == (SPEC["version"], SPEC["colour"])
