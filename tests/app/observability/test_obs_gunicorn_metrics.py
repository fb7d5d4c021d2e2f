"""/metrics under a real gunicorn with several workers: counts from every worker add up."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from app_helpers import service_port
from prometheus_client.parser import text_string_to_metric_families

from tests.support.gunicorn import GUNICORN, ROOT
from tests.support.servers import env_without_otel, stop_pid

REQUESTS = 60


def get(port: int, path: str) -> tuple[int, str, str]:
    """One request on a fresh connection (so gunicorn spreads them over its workers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers={"Connection": "close"})
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response.status, body, response.getheader("X-Request-ID") or ""


def healthz_count(text: str) -> float:
    """Sum app_http_requests_total for GET /healthz 200."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "app_http_requests_total"
                and sample.labels.get("endpoint") == "/healthz"
            ):
                total += sample.value
    return total


def test_metrics_merge_every_worker(tmp_path: Path) -> None:
    port = service_port()
    metrics_dir = tmp_path / "prom"
    env = env_without_otel() | {
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "REDIS_URL": "",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "1",
        "GUNICORN_WORKER_TMP_DIR": str(tmp_path),
        "GUNICORN_ACCESSLOG": "",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    metrics_dir.mkdir()
    (metrics_dir / "counter_99999.db").write_bytes(b"stale")  # must be wiped at start
    out = tmp_path / "gunicorn.out"
    with out.open("wb") as sink:
        process = subprocess.Popen(
            GUNICORN, env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 40
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start: {out.read_text()[-1500:]}")
            try:
                get(port, "/metrics")  # not counted itself
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1.0)  # let every worker boot, so the requests spread
        # Concurrent requests keep every worker busy, so each one answers some of them.
        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(lambda _: get(port, "/healthz")[0], range(REQUESTS)))
        assert statuses == [200] * REQUESTS
        for _ in range(6):  # whichever worker answers, it reports every worker's counts
            status, text, _ = get(port, "/metrics")
            assert status == 200
            assert healthz_count(text) == REQUESTS
        pids = {p.name.rsplit("_", 1)[1] for p in metrics_dir.glob("counter_*.db")}
        assert len(pids) >= 2, f"only {pids} served: the test did not exercise several workers"
        assert not (metrics_dir / "counter_99999.db").exists()
    finally:
        stop_pid(process, signal.SIGTERM, timeout=30)
    assert os.environ.get("PROMETHEUS_MULTIPROC_DIR") is None  # the test process stayed clean
