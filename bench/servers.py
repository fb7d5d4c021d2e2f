"""The processes one benchmark run starts: PostgreSQL, gunicorns and Nginx, stopped by pid."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from kitcore.contract import load_contract
from kitcore.proxy import proxy_variables
from stack.certs import ensure_certificates
from stack.nginx import Listeners
from stack.routing import Route, prepare_prefix
from stack.sysdeps import PG_BIN

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "python:app.gunicorn_conf"]


class BenchError(Exception):
    """A server the benchmark needs did not start."""


def wait_port(port: int, proc: subprocess.Popen[bytes], name: str, timeout: float = 30) -> None:
    """Wait until something listens on HOST:PORT, failing when PROC (NAME) exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{name} exited with {proc.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.1)
    raise BenchError(f"nothing listens on {HOST}:{port} after {timeout}s")


class Processes:
    """Every process started for one run; stop() ends them by pid, newest first."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.started: list[subprocess.Popen[bytes]] = []

    def spawn(
        self,
        cmd: Sequence[str],
        port: int,
        *,
        env: dict[str, str] | None = None,
        cpus: str = "",
        user: str | None = None,
        log: str = "server.log",
    ) -> subprocess.Popen[bytes]:
        """Start CMD (on the CPUs named, when any), wait for PORT, remember its pid."""
        full = ["taskset", "-c", cpus, *cmd] if cpus else list(cmd)
        with (self.root / log).open("ab") as sink:
            proc = subprocess.Popen(  # noqa: S603 - our own argument lists
                full, env=env, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT, user=user
            )
        self.started.append(proc)
        wait_port(port, proc, log)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
        """Stop one process by pid and wait for it."""
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc in self.started:
            self.started.remove(proc)

    def stop_all(self) -> None:
        """Stop everything still running."""
        for proc in reversed(list(self.started)):
            self.stop(proc, signal.SIGINT if "postgres" in str(proc.args) else signal.SIGTERM)


def postgres_user() -> str | None:
    """PostgreSQL refuses root: run it as the postgres account then."""
    if os.geteuid() != 0:
        return None
    pwd.getpwnam("postgres")
    return "postgres"


def start_postgres(procs: Processes, port: int, cpus: str) -> str:
    """initdb a throwaway cluster (trust on loopback), start it, return its SQLAlchemy URL."""
    user = postgres_user()
    data = procs.root / "pg"
    procs.root.chmod(0o755)  # the postgres account must reach its data directory
    data.mkdir()
    if user:
        shutil.chown(data, user)
    initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
    done = subprocess.run(  # noqa: S603 - fixed argument list
        [*initdb, "-E", "UTF8", "--no-locale", "--no-sync"],
        user=user,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        raise BenchError(f"initdb failed: {done.stderr[-500:]}")
    options = ["-c", f"listen_addresses={HOST}", "-c", f"port={port}"]
    options += ["-c", f"unix_socket_directories={data}", "-c", "fsync=off"]
    procs.spawn(
        [str(PG_BIN / "postgres"), "-D", str(data), *options],
        port,
        cpus=cpus,
        user=user,
        log="postgres.log",
    )
    return f"postgresql+psycopg://postgres@{HOST}:{port}/postgres"


def start_redis(procs: Processes, port: int, cpus: str) -> str:
    """Start a memory-only Redis (the kit's production settings require one); return its URL."""
    cmd = ["redis-server", "--bind", HOST, "--port", str(port), "--save", "", "--appendonly"]
    procs.spawn([*cmd, "no", "--dir", str(procs.root)], port, cpus=cpus, log="redis.log")
    return f"redis://{HOST}:{port}/0"


def gunicorn(
    procs: Processes, wsgi: str, port: int, env: dict[str, str], cpus: str
) -> subprocess.Popen[bytes]:
    """Start WSGI under the kit's gunicorn config on PORT."""
    env = env | {"GUNICORN_BIND": f"{HOST}:{port}"}
    return procs.spawn([*GUNICORN, wsgi], port, env=env, cpus=cpus, log=f"gunicorn-{port}.log")


def start_nginx(
    procs: Processes, upstream_port: int, ports: tuple[int, int, int, int], cpus: str
) -> tuple[str, str]:
    """Start the kit's Nginx in front of UPSTREAM_PORT; return its HTTPS and plain URLs.

    The plain listener exists only here: the same locations as the public HTTPS one, without
    TLS, so a run tells the cost of TLS apart from the cost of proxying.
    """
    http, https, preview, plain = ports
    root = procs.root / "nginx-root"
    (root / "release" / "app" / "static").mkdir(parents=True)
    for path in (procs.root, root, root / "release", root / "release" / "app"):
        path.chmod(0o755)  # Nginx workers run as nobody when started by root
    _, cert, key = ensure_certificates(root / "tls")
    route = Route("blue", upstream_port, root / "release" / "app")
    contract = load_contract(REPO / "kit.toml")
    listeners = Listeners(
        root / "nginx", http, https, preview, cert, key, 300, proxy_variables(contract)
    )
    nginx = prepare_prefix(REPO / "nginx" / "templates", listeners, route, route)
    sites = nginx.conf.parent / "sites" / "app.conf"
    sites.write_text(
        sites.read_text()
        + f"\nserver {{\n    listen {HOST}:{plain};\n    set $kit_upstream kit_active;\n"
        "    set $kit_root $kit_active_root;\n    include snippets/security-headers.conf;\n"
        "    include snippets/app-locations.conf;\n}\n"
    )
    procs.spawn(nginx.command("-g", "daemon off;"), https, cpus=cpus, log="nginx.log")
    return f"https://{HOST}:{https}", f"http://{HOST}:{plain}"
