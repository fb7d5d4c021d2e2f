"""app/gunicorn_conf.py and app/observability/gunicorn.py, unit and with a real gunicorn."""

from __future__ import annotations

import datetime
import gc
import http.client
import importlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from app_helpers import app_port
from gunicorn.config import Config

from app.observability.gunicorn import JsonGunicornLogger
from tests.support.gunicorn import GUNICORN, ROOT, app_env

GUNICORN_VARS = (
    "GUNICORN_BIND",
    "GUNICORN_WORKERS",
    "GUNICORN_THREADS",
    "GUNICORN_WORKER_CLASS",
    "GUNICORN_KEEPALIVE",
    "GUNICORN_GRACEFUL_TIMEOUT",
    "GUNICORN_WORKER_TMP_DIR",
    "FORWARDED_ALLOW_IPS",
)


def load_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    for name in GUNICORN_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LOG_REQUESTS", "true")
    sys.modules.pop("app.gunicorn_conf", None)
    return importlib.import_module("app.gunicorn_conf")


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch)
    assert conf.bind == ["127.0.0.1:8000"]
    assert conf.worker_class == "gthread"
    assert (conf.workers, conf.threads) == (2, 4)
    assert conf.keepalive > 60  # outlives nginx's upstream keepalive_timeout 60s
    assert conf.preload_app is False
    assert conf.forwarded_allow_ips == "127.0.0.1"
    assert conf.worker_tmp_dir is None
    assert conf.logger_class == "app.observability.gunicorn.JsonGunicornLogger"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(
        monkeypatch,
        GUNICORN_BIND="127.0.0.1:9000",
        GUNICORN_WORKERS="3",
        GUNICORN_THREADS="8",
        GUNICORN_KEEPALIVE="90",
        GUNICORN_GRACEFUL_TIMEOUT="45",
        GUNICORN_WORKER_TMP_DIR="/tmp",
        FORWARDED_ALLOW_IPS="10.0.0.5,10.0.0.6",
    )
    assert conf.bind == ["127.0.0.1:9000"]
    assert (conf.workers, conf.threads, conf.keepalive, conf.graceful_timeout) == (3, 8, 90, 45)
    assert conf.worker_tmp_dir == "/tmp"
    assert conf.forwarded_allow_ips == "10.0.0.5,10.0.0.6"


def test_worker_class_sync_for_comparisons_and_nothing_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_conf(monkeypatch, GUNICORN_WORKER_CLASS="sync").worker_class == "sync"
    with pytest.raises(SystemExit, match="GUNICORN_WORKER_CLASS must be gthread or sync"):
        load_conf(monkeypatch, GUNICORN_WORKER_CLASS="eventlet")


@pytest.mark.parametrize("value", ["zero", "0", "-2", "1.5"])
def test_bad_numbers_stop_with_one_line(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    with pytest.raises(SystemExit) as info:
        load_conf(monkeypatch, GUNICORN_WORKERS=value)
    assert str(info.value) == f"error: GUNICORN_WORKERS must be a positive integer, got {value!r}"


def test_on_starting_refuses_bad_production_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    conf = load_conf(monkeypatch)
    # on_starting sets the samples dir for the workers; monkeypatch puts the variable back
    # afterwards, so tests of single-process metrics that run later still see none.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "samples"))
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    server = SimpleNamespace(log=SimpleNamespace(error=lambda message: None))
    with pytest.raises(SystemExit, match="SECRET_KEY"):
        conf.on_starting(server)
    monkeypatch.setenv("APP_ENV", "development")
    conf.on_starting(server)  # a usable configuration passes


def test_a_worker_freezes_what_loading_the_app_built(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch)
    before = gc.get_freeze_count()
    try:
        conf.post_worker_init(SimpleNamespace())
        assert gc.get_freeze_count() > before + 10_000  # the test process's modules and objects
        assert gc.get_count()[2] == 0  # collected first: no garbage frozen with them
    finally:
        gc.unfreeze()


def test_json_access_line(capfd: pytest.CaptureFixture[str]) -> None:
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = JsonGunicornLogger(cfg)
    response = SimpleNamespace(
        headers=[("Content-Type", "application/json"), ("X-Request-ID", "rid-1")],
        status_code=201,
        sent=17,
    )
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/items",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": "pytest",
    }
    logger.access(response, None, environ, datetime.timedelta(milliseconds=12.5))
    line = json.loads(capfd.readouterr().out.strip().splitlines()[-1])
    assert line["logger"] == "gunicorn.access"
    assert line["level"] == "INFO"
    assert line["message"] == "request"
    assert (line["request_id"], line["method"], line["path"]) == ("rid-1", "POST", "/api/v1/items")
    assert (line["status"], line["duration_ms"], line["bytes"]) == (201, 12.5, 17)

    cfg.set("accesslog", None)
    logger.access(response, None, environ, datetime.timedelta(milliseconds=1))
    assert capfd.readouterr().out == ""


@pytest.fixture(scope="module")
def gunicorn_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for a real gunicorn on a SQLite file migrated by `flask db upgrade`."""
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    env = app_env(
        APP_ENV="development",
        APP_VERSION="7.7.7",
        APP_COLOR="green",
        DATABASE_URL=f"sqlite:///{tmp_path / 'gunicorn.db'}",
        FLASK_APP="app.wsgi",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
        GUNICORN_WORKER_TMP_DIR=str(tmp_path),
    )
    subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )
    return env


@pytest.fixture
def gunicorn(
    gunicorn_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    """A real gunicorn master started with the kit's config; stopped by pid."""
    out = tmp_path / "gunicorn.out"
    port = app_port()
    with out.open("wb") as sink:
        process = subprocess.Popen(
            GUNICORN,
            env={**gunicorn_env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited: {out.read_text()[-1000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("gunicorn did not answer within 30s")
    yield process, port, out
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def test_real_gunicorn_serves_keeps_alive_and_logs_json(
    gunicorn: tuple[subprocess.Popen[bytes], int, Path],
) -> None:
    process, port, out = gunicorn
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/healthz", headers={"X-Request-ID": "gunicorn-check-1"})
    first = conn.getresponse()
    assert first.status == 200
    assert json.loads(first.read()) == {"status": "ok", "version": "7.7.7", "color": "green"}
    assert first.getheader("X-Request-ID") == "gunicorn-check-1"
    assert first.getheader("X-App-Color") == "green"
    assert first.getheader("Connection", "keep-alive").lower() == "keep-alive"
    sock = conn.sock
    # Malformed JSON to an endpoint open to anonymous callers (item writes need a token).
    conn.request(
        "POST", "/api/v1/auth/token", body="{", headers={"Content-Type": "application/json"}
    )
    second = conn.getresponse()
    assert second.status == 400
    assert json.loads(second.read())["error"] == "bad_request"
    assert conn.sock is sock  # the same connection served both requests
    conn.close()

    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert [(a["request_id"], a["method"], a["path"], a["status"]) for a in access[-2:]] == [
        ("gunicorn-check-1", "GET", "/healthz", 200),
        (access[-1]["request_id"], "POST", "/api/v1/auth/token", 400),
    ]
    assert not [line for line in lines if line["logger"] == "app.request"]  # no duplicate
    assert any("Booting worker" in line["message"] for line in lines)


def test_real_gunicorn_refuses_production_without_secrets(gunicorn_env: dict[str, str]) -> None:
    env = {**gunicorn_env, "APP_ENV": "production"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(GUNICORN, env=env, cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "error: invalid configuration: SECRET_KEY must be set when APP_ENV=production" in (
        result.stderr.splitlines()
    )
