"""The local stack for real: up, HTTPS through Nginx, status, colours, idempotence, down.

Tests run in file order against one stack (package fixture); the last one takes it down.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import boto3
import psycopg
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from kitcore.release import Release
from stack import LocalStack, StackError
from stack.nginx import children, render_tree
from stack.routing import (
    UPSTREAM_FILES,
    RoutingRecord,
    read_record,
    upstream_variables,
    write_record,
)
from stack.supervisor import alive
from tests.stack.conftest import PORTS, REPO, make_config, temp_state_dir


def get(stack: LocalStack, url: str) -> requests.Response:
    """GET url trusting the stack's generated CA."""
    return requests.get(url, verify=str(stack.ca_cert_path), timeout=5)


def under_load(stack: LocalStack, action: Callable[[], None]) -> Counter[str]:
    """Run action while threads keep requesting /healthz through Nginx; count the answers."""
    answers: Counter[str] = Counter()
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                resp = requests.get(
                    f"{stack.public_url}/healthz",
                    verify=str(stack.ca_cert_path),
                    headers={"Connection": "close"},  # fresh connections: no retry needed
                    timeout=5,
                )
                answers[resp.headers.get("X-App-Color", f"HTTP {resp.status_code}")] += 1
            except requests.RequestException as exc:
                answers[type(exc).__name__] += 1

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.3)
        action()
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    return answers


def test_serves_through_nginx_over_https(stack: LocalStack) -> None:
    resp = get(stack, f"{stack.public_url}/healthz")
    assert resp.status_code == 200
    assert resp.json()["color"] == "blue"
    assert resp.headers["X-App-Color"] == "blue"
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    # Real Postgres and Redis behind it.
    assert get(stack, f"{stack.public_url}/readyz").json()["status"] == "ok"
    assert get(stack, f"{stack.public_url}/metrics").status_code == 404
    redirect = requests.get(
        f"http://127.0.0.1:{PORTS['KIT_HTTP_PORT']}/healthz", allow_redirects=False, timeout=5
    )
    assert redirect.headers["Location"] == f"{stack.public_url}/healthz"


def test_status_names_processes_and_active_colour(stack: LocalStack) -> None:
    status = stack.status()
    assert status.active_colour == "blue"
    assert {"postgres", "redis", "s3", "web-blue", "nginx"} <= set(status.running)
    worker_module = Path(status.colours["blue"].release_dir or "") / "app" / "worker.py"
    assert ("worker" in status.running) == (
        worker_module.exists() or worker_module.with_suffix("").is_dir()
    )
    assert status.colours["blue"].routes == "public"
    assert status.colours["green"].routes == "preview"
    for proc in status.processes:
        if proc.state == "RUNNING":
            assert proc.pid
            assert alive(proc.pid)


def uid_of(pid: int) -> int:
    """Return the real uid of a running process."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("Uid:")).split()[1])


def test_nginx_workers_run_unprivileged(stack: LocalStack) -> None:
    master = next(p.pid for p in stack.status().processes if p.name == "nginx")
    assert master
    workers = children(master)
    assert workers
    expected = 65534 if os.geteuid() == 0 else os.geteuid()  # no `user` directive: nobody
    assert {uid_of(pid) for pid in workers} == {expected}


def test_postgres_runs_unprivileged_with_migrations_applied(stack: LocalStack) -> None:
    pid = next(p.pid for p in stack.status().processes if p.name == "postgres")
    assert pid
    assert uid_of(pid) != 0
    with psycopg.connect(stack.app_env()["DATABASE_URL"], connect_timeout=3) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()
        row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert row.fetchone() == (False,)  # the app's role is not a superuser


def test_bucket_exists_and_signatures_are_checked(stack: LocalStack) -> None:
    env = stack.app_env()

    def client(secret: str) -> object:
        return boto3.client(
            "s3",
            endpoint_url=env["S3_ENDPOINT_URL"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=secret,
            region_name=env["S3_REGION"],
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    good = client(env["AWS_SECRET_ACCESS_KEY"])
    good.put_object(Bucket=env["S3_BUCKET"], Key="probe", Body=b"ok")  # type: ignore[attr-defined]
    with pytest.raises(ClientError, match="SignatureDoesNotMatch"):
        client("0" * 40).list_objects_v2(Bucket=env["S3_BUCKET"])  # type: ignore[attr-defined]
    with pytest.raises(ClientError, match="AccessDenied"):
        good.create_bucket(Bucket="not-the-apps")  # type: ignore[attr-defined]


def test_up_again_changes_nothing(stack: LocalStack) -> None:
    before = {p.name: p.pid for p in stack.status().processes}
    stack.up()
    assert {p.name: p.pid for p in stack.status().processes} == before
    assert get(stack, f"{stack.public_url}/healthz").status_code == 200


def test_taken_port_is_named(stack: LocalStack) -> None:
    # Another stack whose HTTPS port is the running stack's: refused before starting anything.
    other = {k: v + 50 for k, v in PORTS.items()} | {"KIT_HTTPS_PORT": PORTS["KIT_HTTPS_PORT"]}
    other["KIT_S3_PORT"] = 23240
    state = temp_state_dir()
    try:
        second = LocalStack(make_config(state, **other))
        with pytest.raises(StackError, match=f"port {PORTS['KIT_HTTPS_PORT']} \\(nginx https\\)"):
            second.up()
        assert not second.supervisor.is_running()
    finally:
        subprocess.run(["rm", "-rf", str(state.parent)], check=False)


def test_colours_start_route_and_stop(stack: LocalStack) -> None:
    release = Path(stack.status().colours["blue"].release_dir or "")
    stack.start_colour("green", Release("v2-test", release))
    preview = get(stack, f"{stack.preview_url}/healthz").json()
    assert (preview["color"], preview["version"]) == ("green", "v2-test")

    with pytest.raises(StackError, match="active colour"):
        stack.stop_colour("blue")  # still receives public traffic
    answers = under_load(stack, lambda: stack.route("green"))
    assert set(answers) <= {"blue", "green"}, answers  # no failed request during the switch
    assert answers["green"] > 0
    assert stack.active_colour() == "green"
    assert get(stack, f"{stack.public_url}/healthz").headers["X-App-Version"] == "v2-test"

    blue_pid = next(p.pid for p in stack.status().processes if p.name == "web-blue")
    stack.stop_colour("blue")
    assert blue_pid
    assert not alive(blue_pid)
    with pytest.raises(StackError, match="not healthy"):
        stack.route("blue")  # nothing answers on blue: routing stays on green
    assert stack.active_colour() == "green"
    assert get(stack, f"{stack.public_url}/healthz").headers["X-App-Color"] == "green"


def test_a_switch_killed_half_way_is_undone_by_up(stack: LocalStack) -> None:
    """What a SIGKILL after the reload leaves: files and Nginx on blue, the record pending."""
    release = Path(stack.status().colours["green"].release_dir or "")
    stack.start_colour("blue", Release("v3-test", release))
    prefix = stack.routing.nginx.prefix
    write_record(prefix, RoutingRecord("green", pending="blue"))
    blue, green = (stack.routing.route(c, Release("v3-test", release)) for c in ("blue", "green"))
    render_tree(
        stack.routing.templates,
        stack.routing.conf_dir,
        upstream_variables(blue, green),
        only=UPSTREAM_FILES,
    )
    stack.routing.nginx.reload(stack.routing.pid_file)
    assert get(stack, f"{stack.public_url}/healthz").headers["X-App-Color"] == "blue"
    assert stack.active_colour() == "green"  # the record never confirmed blue
    stack.up()
    assert read_record(prefix) == RoutingRecord("green")
    assert get(stack, f"{stack.public_url}/healthz").headers["X-App-Color"] == "green"
    stack.stop_colour("blue")


def test_redis_down_degrades_readiness_instead_of_failing_it(stack: LocalStack) -> None:
    """Only the database makes a colour unready: with Redis gone the site keeps serving."""
    stack.supervisor.stop(["redis"], timeout=30)
    try:
        ready = get(stack, f"{stack.public_url}/readyz")
        assert ready.status_code == 200, ready.text
        assert "redis" in ready.json()["degraded"]  # reported, not fatal
        items = get(stack, f"{stack.public_url}/api/v1/items")
        assert items.status_code == 200, items.text
        assert get(stack, f"{stack.public_url}/healthz").status_code == 200
    finally:
        stack.supervisor.start("redis")
    assert get(stack, f"{stack.public_url}/readyz").status_code == 200


def test_cli_status_and_bad_input(stack: LocalStack) -> None:
    env = os.environ | {k: str(v) for k, v in PORTS.items()}
    env["KIT_STATE_DIR"] = str(stack.config.state_dir)
    cmd = [sys.executable, "-m", "stack", "status"]
    ok = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=REPO, timeout=30)
    assert ok.returncode == 0, ok.stderr
    assert "active colour green" in ok.stdout
    env["KIT_HTTPS_PORT"] = "not-a-port"
    bad = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=REPO, timeout=30)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: KIT_HTTPS_PORT must be an integer, got 'not-a-port'"


def test_down_leaves_nothing_running(stack: LocalStack) -> None:
    pids = [p.pid for p in stack.status().processes if p.pid]
    supervisord_pid = int(stack.supervisor.pid_file.read_text())
    stack.down()
    for pid in [*pids, supervisord_pid]:
        assert not alive(pid), pid  # a zombie awaiting its reaper counts as gone
    for port in stack.config.ports().values():
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"
    assert stack.status().processes == []
    stack.down()  # a second down is a no-op
