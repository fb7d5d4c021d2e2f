"""supervisord as the process manager: render its config, start it, talk to it over XML-RPC."""

from __future__ import annotations

import contextlib
import os
import shlex
import time
import xmlrpc.client
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from supervisor.xmlrpc import SupervisorTransport

from stack.errors import StackError
from stack.proc import run
from stack.sysdeps import venv_bin

RUNNING = "RUNNING"
STOPPED_STATES = {"STOPPED", "EXITED", "FATAL", "UNKNOWN"}


@dataclass(frozen=True)
class Program:
    """One supervised program (a [program:x] section)."""

    name: str
    command: list[str]
    directory: Path
    priority: int
    user: str | None = None
    stopsignal: str = "TERM"
    stopwaitsecs: int = 10
    startsecs: int = 1
    environment: dict[str, str] = field(default_factory=dict)

    def section(self, log_dir: Path) -> str:
        """Render the [program:x] section; programs are started by the stack, in order."""
        lines = [
            f"[program:{self.name}]",
            f"command={_escape(shlex.join(self.command))}",
            f"directory={_escape(str(self.directory))}",
            f"priority={self.priority}",
            "autostart=false",
            "autorestart=unexpected",
            f"startsecs={self.startsecs}",
            "startretries=2",
            f"stopsignal={self.stopsignal}",
            f"stopwaitsecs={self.stopwaitsecs}",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={_escape(str(log_dir / f'{self.name}.log'))}",
            "stdout_logfile_maxbytes=10MB",
            "stdout_logfile_backups=2",
        ]
        if self.user:
            lines.append(f"user={self.user}")
        if self.environment:
            pairs = ",".join(f'{k}="{_escape(v)}"' for k, v in self.environment.items())
            lines.append(f"environment={pairs}")
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    """Escape supervisor's %(...)s interpolation."""
    return value.replace("%", "%%")


class Supervisor:
    """The supervisord of one state dir: config, socket, pid file and logs under it."""

    def __init__(self, state_dir: Path, repo_root: Path) -> None:
        self.dir = state_dir / "supervisor"
        self.conf = self.dir / "supervisord.conf"
        self.socket = self.dir / "supervisor.sock"
        self.pid_file = self.dir / "supervisord.pid"
        self.log_dir = state_dir / "logs"
        self.repo_root = repo_root

    def render(self, programs: list[Program]) -> None:
        """Write supervisord.conf (0600: it may name credentials files) for programs."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        head = f"""; Rendered by stack/supervisor.py: edit the code, not this file.
[unix_http_server]
file={_escape(str(self.socket))}
chmod=0700

[supervisord]
logfile={_escape(str(self.log_dir / "supervisord.log"))}
pidfile={_escape(str(self.pid_file))}
childlogdir={_escape(str(self.log_dir))}
directory={_escape(str(self.repo_root))}
identifier=flask-deploy-kit

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{_escape(str(self.socket))}

"""
        text = head + "\n".join(p.section(self.log_dir) for p in programs)
        tmp = self.conf.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.chmod(0o600)
        os.replace(tmp, self.conf)

    def proxy(self) -> Any:
        """Return an XML-RPC proxy over the unix socket."""
        transport = SupervisorTransport(None, None, f"unix://{self.socket}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def is_running(self) -> bool:
        """Tell whether this state dir's supervisord answers."""
        if not self.socket.exists():
            return False
        try:
            return bool(self.proxy().supervisor.getState()["statename"] == RUNNING)
        except (OSError, xmlrpc.client.Error):
            return False

    def ensure_running(self) -> None:
        """Start supervisord (it daemonises) or apply a changed config (reread + update)."""
        if self.is_running():
            self.ctl("update")
            return
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()  # stale from a killed supervisord
        run([str(venv_bin("supervisord")), "-c", str(self.conf)])
        deadline = time.monotonic() + 15
        while not self.is_running():
            if time.monotonic() > deadline:
                raise StackError(f"supervisord did not start: see {self.log_dir}/supervisord.log")
            time.sleep(0.1)

    def ctl(self, *args: str) -> str:
        """Run supervisorctl against this supervisord."""
        return run([str(venv_bin("supervisorctl")), "-c", str(self.conf), *args]).stdout

    def info(self, name: str) -> dict[str, Any]:
        """Return supervisor's process info (statename, pid, ...) for name."""
        try:
            return cast(dict[str, Any], self.proxy().supervisor.getProcessInfo(name))
        except xmlrpc.client.Fault as exc:
            raise StackError(f"supervisor has no program {name}: {exc.faultString}") from exc

    def all_info(self) -> list[dict[str, Any]]:
        """Return info for every configured program ([] when supervisord is down)."""
        if not self.is_running():
            return []
        return cast(list[dict[str, Any]], self.proxy().supervisor.getAllProcessInfo())

    def start(self, name: str) -> None:
        """Start name and wait until supervisor calls it RUNNING (its startsecs passed)."""
        if self.info(name)["statename"] == RUNNING:
            return
        try:
            self.proxy().supervisor.startProcess(name, True)
        except xmlrpc.client.Fault as exc:
            detail = f"{exc.faultString}: {self.tail(name)}"
            raise StackError(f"{name} failed to start ({detail})") from exc

    def stop(self, names: list[str], timeout: float) -> None:
        """Send the stop signal to names together and wait until all have exited."""
        proxy = self.proxy()
        for name in names:
            if self.info(name)["statename"] not in STOPPED_STATES:
                with contextlib.suppress(xmlrpc.client.Fault):  # raced to a stop
                    proxy.supervisor.stopProcess(name, False)
        deadline = time.monotonic() + timeout
        pending = list(names)
        while pending:
            pending = [n for n in pending if self.info(n)["statename"] not in STOPPED_STATES]
            if pending and time.monotonic() > deadline:
                raise StackError(f"still running after {timeout:.0f}s: {', '.join(pending)}")
            time.sleep(0.1)

    def shutdown(self, timeout: float = 30) -> None:
        """Stop supervisord itself and wait for its pid to go."""
        if not self.is_running():
            return
        pid = int(self.pid_file.read_text().strip())
        self.proxy().supervisor.shutdown()
        deadline = time.monotonic() + timeout
        while alive(pid):
            if time.monotonic() > deadline:
                raise StackError(f"supervisord (pid {pid}) did not exit in {timeout:.0f}s")
            time.sleep(0.1)

    def tail(self, name: str, lines: int = 3, width: int = 300) -> str:
        """Return the last lines of a program's log on one line, with the log's path."""
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return f"(no log at {path})"
        text = " / ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
        return f"{text[-width:] or '(empty)'} [{path}]"


def alive(pid: int) -> bool:
    """Tell whether pid still exists (and is not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
