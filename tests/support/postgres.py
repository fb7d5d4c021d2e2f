"""A private PostgreSQL on 127.0.0.1: one initdb'ed template, copied for every server."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

from tests.support.servers import ServerError, fail, free_port, stop_pid


def _pg_bin() -> Path:
    """Return $PG_BIN, else the newest /usr/lib/postgresql/N/bin (15 on bookworm)."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    versions = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    versions.sort(key=lambda p: int(p.parent.name))
    return versions[-1] if versions else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
START_TIMEOUT = 30.0


def _run_as() -> str | None:
    """PostgreSQL refuses to run as root: use the postgres account then."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise ServerError("running as root but there is no 'postgres' user") from None
    return "postgres"


class PostgresTemplate:
    """One initdb'ed data directory, copied for every server so initdb runs once."""

    def __init__(self) -> None:
        initdb = PG_BIN / "initdb"
        if not initdb.exists():
            raise ServerError(
                f"{initdb} not found: install PostgreSQL 15 (apt-get install postgresql)"
            )
        self.user = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="kit-app-pg-"))
        self.data = self.root / "template"
        self._chown(self.root)
        result = subprocess.run(
            [
                str(initdb),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            user=self.user,
            cwd=self.root,
            capture_output=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise ServerError(f"initdb failed: {result.stderr.decode(errors='replace')[-500:]}")

    def _chown(self, path: Path) -> None:
        if self.user:
            shutil.chown(path, self.user, self.user)

    def new_server(self, port_range: tuple[int, int]) -> PostgresServer:
        """Return an unstarted server with its own copy of the template, on PORT_RANGE."""
        data = Path(tempfile.mkdtemp(prefix="data-", dir=self.root))
        shutil.rmtree(data)
        shutil.copytree(self.data, data, symlinks=True)
        if self.user:
            subprocess.run(["chown", "-R", f"{self.user}:{self.user}", str(data)], check=True)
        data.chmod(0o700)
        return PostgresServer(data, free_port(port_range), self.user)

    def cleanup(self) -> None:
        """Delete every data directory."""
        shutil.rmtree(self.root, ignore_errors=True)


class PostgresServer:
    """A private postgres process on 127.0.0.1."""

    def __init__(self, data: Path, port: int, user: str | None) -> None:
        self.data, self.port, self.user = data, port, user
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data.parent / f"{data.name}.log"

    def url(self, dbname: str = "postgres") -> str:
        """Return a DATABASE_URL for DBNAME."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> None:
        """Start postgres and wait until it accepts connections."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(PG_BIN / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-h",
                    "127.0.0.1",
                    "-k",
                    str(self.data),
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=60",
                    "-c",
                    "log_min_messages=warning",
                ],
                user=self.user,
                cwd=self.data,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"postgres exited: {self.log.read_text(errors='replace')[-800:]}")
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.1)
        self.stop()
        raise ServerError(f"postgres did not accept connections within {START_TIMEOUT}s")

    def stop(self) -> None:
        """Fast shutdown (SIGINT) by pid: open sessions are cut, as in an outage."""
        if self.process is not None:
            stop_pid(self.process, signal.SIGINT)
            self.process = None

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        """Run one statement in autocommit mode (CREATE/DROP DATABASE)."""
        with psycopg.connect(self.url(dbname), autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)  # type: ignore[arg-type]


def serving_template() -> Iterator[PostgresTemplate]:
    """Yield an initdb'ed template, then delete it (use with `yield from` in a fixture)."""
    try:
        template = PostgresTemplate()
    except ServerError as exc:
        fail(str(exc))
    yield template
    template.cleanup()


def serving_postgres(
    template: PostgresTemplate, port_range: tuple[int, int]
) -> Iterator[PostgresServer]:
    """Yield a started PostgreSQL, then stop it (use with `yield from` in a fixture)."""
    server = template.new_server(port_range)
    try:
        server.start()
    except ServerError as exc:
        fail(str(exc))
    yield server
    server.stop()
