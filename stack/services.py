"""The backing services: PostgreSQL, Redis and SeaweedFS (S3) as supervised programs."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import boto3
import psycopg
import redis
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from psycopg import sql

from stack.config import HOST, StackConfig
from stack.credentials import Credentials
from stack.errors import StackError
from stack.proc import run
from stack.supervisor import Program
from stack.sysdeps import PG_BIN, venv_bin

# root cannot run postgres: the cluster belongs to the Debian package's system user.
PG_SYSTEM_USER = "postgres"
_T = TypeVar("_T")


def postgres_user() -> str | None:
    """Return the user postgres must run as (None: the invoking, non-root user)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        run(
            [
                "useradd",
                "--system",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                PG_SYSTEM_USER,
            ]
        )
    return PG_SYSTEM_USER


def postgres_program(cfg: StackConfig) -> Program:
    """Run the private cluster in the foreground; SIGINT is its fast (not waiting) shutdown."""
    data, sockets = cfg.state_dir / "postgres" / "data", cfg.state_dir / "postgres" / "run"
    options = {
        "listen_addresses": HOST,
        "port": cfg.postgres_port,
        "unix_socket_directories": sockets,
        "logging_collector": "off",  # supervisor keeps the log
    }
    settings = [arg for k, v in options.items() for arg in ("-c", f"{k}={v}")]
    return Program(
        name="postgres",
        command=[str(PG_BIN / "postgres"), "-D", str(data), *settings],
        directory=data,
        priority=10,
        user=postgres_user(),
        stopsignal="INT",
        stopwaitsecs=30,
        startsecs=2,
    )


def init_postgres(cfg: StackConfig, creds: Credentials) -> None:
    """initdb the private cluster once, owned by the user postgres runs as."""
    root = cfg.state_dir / "postgres"
    data = root / "data"
    if (data / "PG_VERSION").exists():
        return
    user = postgres_user()
    (root / "run").mkdir(parents=True, exist_ok=True)
    pwfile = root / "superuser.pw"
    pwfile.write_text(creds.postgres_superuser_password + "\n")
    pwfile.chmod(0o600)
    if user:
        shutil.chown(root, user)
        shutil.chown(root / "run", user)
        shutil.chown(pwfile, user)
    cmd = [
        str(PG_BIN / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        f"--pwfile={pwfile}",
        "--auth-local=peer",
        "--auth-host=scram-sha-256",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
    ]
    try:
        run(["runuser", "-u", user, "--", *cmd] if user else cmd, cwd=root)
    finally:
        pwfile.unlink()


def create_app_database(cfg: StackConfig, creds: Credentials, name: str) -> None:
    """Create the service's role and database, both called name (not a superuser)."""
    conn = _wait(
        lambda: psycopg.connect(
            host=HOST,
            port=cfg.postgres_port,
            user="postgres",
            dbname="postgres",
            password=creds.postgres_superuser_password,
            connect_timeout=2,
            autocommit=True,
        ),
        "postgres",
    )
    with conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone():
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(name), sql.Literal(creds.postgres_app_password)
                )
            )
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(name)
                )
            )


def redis_program(cfg: StackConfig, creds: Credentials) -> Program:
    """Run Redis with AOF: queued RQ jobs are accepted work and must survive a restart."""
    root = cfg.state_dir / "redis"
    root.mkdir(parents=True, exist_ok=True)
    conf = root / "redis.conf"
    conf.write_text(
        "# Rendered by stack/services.py\n"
        f"bind {HOST}\nport {cfg.redis_port}\nprotected-mode yes\ndaemonize no\n"
        f'dir {root}\nappendonly yes\nappendfsync everysec\nsave ""\n'
        f"requirepass {creds.redis_password}\n"
    )
    conf.chmod(0o600)
    return Program("redis", ["redis-server", str(conf)], root, priority=10, stopwaitsecs=15)


def wait_redis(cfg: StackConfig, creds: Credentials) -> None:
    """Wait until Redis answers PING with the stack's password."""
    client = redis.Redis(host=HOST, port=cfg.redis_port, password=creds.redis_password)
    _wait(client.ping, "redis")


def s3_identities(admin: tuple[str, str], app: tuple[str, str], bucket: str) -> dict[str, Any]:
    """Return SeaweedFS S3 identities: ADMIN keys for everything, APP keys for BUCKET only."""
    return {
        "identities": [
            {  # used by the stack only, to create the bucket
                "name": "admin",
                "credentials": [{"accessKey": admin[0], "secretKey": admin[1]}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
            {  # the app's keys: its bucket only, no admin
                "name": "app",
                "credentials": [{"accessKey": app[0], "secretKey": app[1]}],
                "actions": [f"{a}:{bucket}" for a in ("Read", "Write", "List", "Tagging")],
            },
        ]
    }


def weed_mini_args(root: Path, s3_port: int, s3_config: Path) -> list[str]:
    """Return `weed mini` arguments: S3 on S3_PORT, its nine other ports just above, on loopback."""
    base = s3_port
    flags = {
        "ip": HOST,
        "ip.bind": HOST,
        "dir": root,
        "master.port": base + 1,
        "master.port.grpc": base + 4,
        "master.telemetry": "false",
        "master.volumeSizeLimitMB": 64,
        "volume.port": base + 2,
        "volume.port.grpc": base + 5,
        "filer.port": base + 3,
        "filer.port.grpc": base + 6,
        "s3.port": base,
        "s3.port.grpc": base + 7,
        "s3.config": s3_config,
        "s3.port.iceberg": 0,  # 0 disables the extra listeners
        "s3.port.lance": 0,
        "admin.port": base + 8,
        "admin.port.grpc": base + 9,
        "admin.ui": "false",
        "webdav": "false",
    }
    return ["mini", *(f"-{k}={v}" for k, v in flags.items())]


def s3_program(cfg: StackConfig, creds: Credentials) -> Program:
    """Run SeaweedFS `weed mini` (master, volume, filer, S3) on loopback, every port explicit.

    `weed mini` rather than `weed server -s3`: the same parts, but it stops in ~3 s where
    `weed server` waits 15 s for its filer's gRPC graceful stop.
    """
    root = cfg.state_dir / "s3"
    root.mkdir(parents=True, exist_ok=True)
    admin = (creds.s3_admin_key, creds.s3_admin_secret)
    identities = s3_identities(admin, (creds.s3_app_key, creds.s3_app_secret), cfg.bucket)
    s3_json = root / "s3.json"
    s3_json.write_text(json.dumps(identities, indent=2))
    s3_json.chmod(0o600)
    return Program(
        name="s3",
        command=[str(venv_bin("weed")), *weed_mini_args(root, cfg.s3_port, s3_json)],
        directory=root,
        priority=10,
        stopwaitsecs=20,
        startsecs=2,
    )


def s3_client(cfg: StackConfig, key: str, secret: str) -> object:
    """Return a boto3 S3 client for the stack's endpoint (SigV4, path-style)."""
    return boto3.client(
        "s3",
        endpoint_url=f"http://{HOST}:{cfg.s3_port}",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
            connect_timeout=2,
            read_timeout=10,
        ),
    )


def create_bucket(cfg: StackConfig, creds: Credentials) -> None:
    """Create the app's versioned bucket with the admin identity (idempotent)."""
    client: object = s3_client(cfg, creds.s3_admin_key, creds.s3_admin_secret)

    def create() -> None:
        try:
            client.create_bucket(Bucket=cfg.bucket)  # type: ignore[attr-defined]
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in (
                "BucketAlreadyOwnedByYou",
                "BucketAlreadyExists",
            ):
                raise
        # Versioned like the real bucket (infra/kit/bucket.py): the app pins downloads to the
        # version it verified, so bytes uploaded again with a still-valid form are never served.
        client.put_bucket_versioning(  # type: ignore[attr-defined]
            Bucket=cfg.bucket, VersioningConfiguration={"Status": "Enabled"}
        )

    _wait(create, "s3 (create bucket)", timeout=60, retry_on=(BotoCoreError, ClientError))


def _wait(
    attempt: Callable[[], _T],
    what: str,
    timeout: float = 30,
    retry_on: tuple[type[BaseException], ...] = (OSError, psycopg.Error, redis.RedisError),
) -> _T:
    """Call attempt until it succeeds or timeout passes, then raise naming what."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return attempt()
        except retry_on as exc:
            if time.monotonic() > deadline:
                raise StackError(f"{what} not ready after {timeout:.0f}s: {exc}") from exc
            time.sleep(0.25)
