"""testinfra checks of one colour on this host (local:// backend); spec from ROLLOUT_CHECK_SPEC."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest

SPEC: dict[str, Any] = json.loads(os.environ.get("ROLLOUT_CHECK_SPEC", "{}"))
SERVICE: dict[str, Any] = SPEC.get("service", {})


def _listener_pids(host: Any, port: int) -> list[int]:
    """Return the pids listening on 127.0.0.1:port (from ss)."""
    out = host.check_output(f"ss -Htlnp 'sport = :{port}'")
    pids = {int(p) for p in re.findall(r"pid=(\d+)", out)}
    return sorted(pids)


@pytest.fixture(scope="module")
def master(host: Any) -> Any:
    """The gunicorn master process of the colour (the listener whose parent is not a listener)."""
    pids = _listener_pids(host, SPEC["port"])
    assert pids, f"nothing listens on port {SPEC['port']}"
    procs = [host.process.get(pid=p) for p in pids]
    masters = [p for p in procs if p.ppid not in pids]
    assert len(masters) == 1, f"expected one gunicorn master, got {[p.pid for p in masters]}"
    return masters[0]


def test_spec_given() -> None:
    assert SPEC, "ROLLOUT_CHECK_SPEC is missing"


def test_listens_on_loopback_only(host: Any) -> None:
    assert host.socket(f"tcp://127.0.0.1:{SPEC['port']}").is_listening
    assert not host.socket(f"tcp://0.0.0.0:{SPEC['port']}").is_listening


def test_master_is_gunicorn(master: Any) -> None:
    assert "gunicorn" in master.args


@pytest.mark.parametrize("role", ["master", "workers"])
def test_processes_run_as_expected_user(host: Any, master: Any, role: str) -> None:
    procs = [master] if role == "master" else host.process.filter(ppid=master.pid)
    assert procs, f"no {role}"
    assert {p.user for p in procs} == {SPEC["user"]}


def test_has_workers(host: Any, master: Any) -> None:
    assert len(host.process.filter(ppid=master.pid)) >= 1


def test_runs_the_release_dir(host: Any, master: Any) -> None:
    assert host.file(f"/proc/{master.pid}/cwd").linked_to == SPEC["release_dir"]


@pytest.mark.parametrize(("env", "key"), [("version_env", "version"), ("colour_env", "colour")])
def test_environment(host: Any, master: Any, env: str, key: str) -> None:
    environ = host.file(f"/proc/{master.pid}/environ").content.split(b"\0")
    assert f"{SERVICE[env]}={SPEC[key]}".encode() in environ


def test_serves_the_contracts_entry_point(master: Any) -> None:
    assert SERVICE["wsgi"] in master.args


@pytest.mark.parametrize("rel", SERVICE.get("release_files", []))
def test_release_files(host: Any, rel: str) -> None:
    assert host.file(f"{SPEC['release_dir']}/{rel}").is_file


@pytest.mark.parametrize("path", SPEC.get("config_files", []))
def test_config_file_present(host: Any, path: str) -> None:
    f = host.file(path)
    assert f.is_file
    assert f.size > 0


def test_proxy_config_knows_the_colour_port(host: Any) -> None:
    contents = "".join(host.file(p).content_string for p in SPEC.get("config_files", []))
    assert f"127.0.0.1:{SPEC['port']}" in contents


def test_nginx_workers_are_unprivileged(host: Any) -> None:
    workers = [p for p in host.process.filter(comm="nginx") if "worker" in p.args]
    assert workers
    assert all(p.user != "root" for p in workers)


def test_answers_its_version(host: Any) -> None:
    url = f"http://127.0.0.1:{SPEC['port']}{SERVICE['identity']}"
    identity = json.loads(host.check_output(f"curl -fsS --max-time 5 {url}"))
    assert identity[SERVICE["version_field"]] == SPEC["version"]
    assert identity[SERVICE["colour_field"]] == SPEC["colour"]
