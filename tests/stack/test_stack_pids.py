"""Pids of programs and their children, and the db proxy port the app is pointed at."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest

from kitcore.contract import load_contract
from stack import StackConfig, StackError
from stack.appenv import app_environment
from stack.credentials import Credentials
from stack.pids import children, program_pid
from stack.supervisor import Supervisor

REPO = Path(__file__).resolve().parents[2]


def test_children_lists_the_direct_children_only() -> None:
    code = (
        "import subprocess, time; p = subprocess.Popen(['sleep', '30']); "
        "print(p.pid, flush=True); time.sleep(30)"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        kid = int(parent.stdout.readline())
        assert children(parent.pid) == [kid]
        assert children(kid) == []
    finally:
        for pid in children(parent.pid):
            subprocess.run(["kill", str(pid)], check=False)
        parent.kill()
        parent.wait(5)


def test_children_of_a_gone_pid_is_empty() -> None:
    proc = subprocess.Popen(["true"])
    proc.wait(5)
    assert children(proc.pid) == []


class FakeSupervisor:
    """Answers getProcessInfo like supervisord does."""

    def __init__(self, state: str, pid: int) -> None:
        self.state, self.pid = state, pid

    def info(self, name: str) -> dict[str, Any]:
        return {"name": name, "statename": self.state, "pid": self.pid}


@pytest.mark.parametrize(("state", "pid", "want"), [("RUNNING", 42, 42), ("BACKOFF", 0, None)])
def test_program_pid_only_of_a_running_program(state: str, pid: int, want: int | None) -> None:
    assert program_pid(cast(Supervisor, FakeSupervisor(state, pid)), "worker") == want


def test_db_proxy_port_is_where_the_app_reaches_postgres(tmp_path: Path) -> None:
    env = {"KIT_STATE_DIR": str(tmp_path), "KIT_DB_PROXY_PORT": "15433"}
    cfg = StackConfig.from_env(REPO, env)
    assert cfg.ports()["db-proxy"] == 15433
    creds = Credentials.load_or_create(tmp_path / "credentials.json")
    url = app_environment(cfg, creds, load_contract(REPO / "kit.toml"))["DATABASE_URL"]
    assert url.endswith("@127.0.0.1:15433/" + url.rsplit("/", 1)[1])
    direct = StackConfig.from_env(REPO, {"KIT_STATE_DIR": str(tmp_path)})
    assert "db-proxy" not in direct.ports()
    assert (
        ":15432/"
        in app_environment(direct, creds, load_contract(REPO / "kit.toml"))["DATABASE_URL"]
    )


def test_db_proxy_port_must_not_clash() -> None:
    with pytest.raises(StackError, match="both postgres and db-proxy"):
        StackConfig.from_env(REPO, {"KIT_DB_PROXY_PORT": "15432"})
