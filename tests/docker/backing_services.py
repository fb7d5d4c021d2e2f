"""A private PostgreSQL and Redis on 127.0.0.1 for the image's migrate and readiness checks."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import redis


def _pg_bin() -> Path:
    """Return the newest /usr/lib/postgresql/N/bin (or $PG_BIN)."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    return found[-1] if found else Path("/usr/lib/postgresql/15/bin")


def _wait(process: subprocess.Popen[bytes], ready: object, what: str, log: Path) -> None:
    """Poll READY until it stops raising, failing early when the process exits."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text(errors='replace')[-800:]}")
        try:
            ready()  # type: ignore[operator]
            return
        except (psycopg.OperationalError, redis.ConnectionError):
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer within 30 s")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Stop one server by its pid, killing it if it lingers."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_postgres(workdir: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """Start a throwaway cluster (trust auth on loopback); return it and its URL."""
    data = workdir / "pg"
    data.mkdir()
    # PostgreSQL refuses to run as root: use the postgres account then.
    user = "postgres" if os.geteuid() == 0 else None
    if user:
        shutil.chown(workdir, user)
        shutil.chown(data, user)
    log = workdir / "pg.log"
    done = subprocess.run(
        [_pg_bin() / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync"],
        user=user, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed: {done.stderr.strip()[-800:]}")
    with log.open("ab") as out:
        process = subprocess.Popen(
            [_pg_bin() / "postgres", "-D", data, "-p", str(port), "-h", "127.0.0.1",
             "-k", data, "-c", "fsync=off"],
            user=user, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    _wait(process, lambda: psycopg.connect(url, connect_timeout=2).close(), "postgres", log)
    return process, url


def start_redis(workdir: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """Start redis-server without persistence; return it and its URL."""
    log = workdir / "redis.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(workdir)],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    _wait(process, lambda: redis.Redis.from_url(url, socket_timeout=1).ping(), "redis", log)
    return process, url
