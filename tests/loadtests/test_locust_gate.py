"""Real locust runs (one process, a few seconds) against the stub: verdict and exit code."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import urllib.request
from pathlib import Path

from rollout.verify.gates import GateConfig
from rollout.verify.loadrun import LoadSpec, run_gate
from tests.support.contract import REFERENCE

LOAD = LoadSpec.of(REFERENCE)
QUICK = GateConfig(
    name="pre_switch", users=5, spawn_rate=5, duration_s=4, min_requests=30,
    max_fail_ratio=0.0, max_p95_ms=100, max_p99_ms=200,
)  # fmt: skip


def test_healthy_server_passes_and_writes_are_acknowledged(healthy: str, tmp_path: Path) -> None:
    result = run_gate(QUICK, healthy, None, tmp_path, load=LOAD)
    assert result.passed, result.reasons
    assert result.exit_code == 0
    assert result.measures["num_failures"] == 0
    assert result.measures["num_requests"] >= 40
    assert result.html is not None
    assert "<html" in result.html.read_text().lower()
    # Every 201 the users saw is on the server.
    assert result.created_ids
    with urllib.request.urlopen(f"{healthy}/debug/ids") as resp:  # noqa: S310 - http stub
        on_server = {str(i) for i in json.loads(resp.read())}
    assert set(result.created_ids) <= on_server
    # Auth and uploads do not exist yet: skipped openly, not passed silently.
    assert set(result.skipped_features) == {"auth", "uploads"}
    assert sum(r["n"] for r in result.timeline) == result.measures["num_requests"]


def on_server(url: str) -> set[str]:
    """The ids of the items the stub holds."""
    with urllib.request.urlopen(f"{url}/debug/ids") as resp:  # noqa: S310 - http stub
        return {str(i) for i in json.loads(resp.read())}


def sign_ins(url: str) -> int:
    """How many sign-ins the stub answered."""
    with urllib.request.urlopen(f"{url}/debug/sign-ins") as resp:  # noqa: S310 - http stub
        return int(json.loads(resp.read()))


def test_a_refused_sign_in_fails_the_gate_instead_of_skipping_writes(
    throttled: str, tmp_path: Path
) -> None:
    account = {"LOCUST_USER_EMAIL": "gate@example.com", "LOCUST_USER_PASSWORD": "x" * 16}
    result = run_gate(QUICK, throttled, None, tmp_path, account, load=LOAD)
    # Reads alone would pass: the gate fails because it could not test writes.
    assert result.measures["num_failures"] == 0
    assert not result.passed
    assert result.exit_code == 1
    assert "cannot sign in as gate@example.com (429)" in result.reasons
    assert result.created_ids == []
    assert sign_ins(throttled) == 1  # the limit is not asked again


def test_a_sign_in_refused_while_the_database_restarts_is_retried(
    restarting: str, tmp_path: Path
) -> None:
    account = {"LOCUST_USER_EMAIL": "gate@example.com", "LOCUST_USER_PASSWORD": "x" * 16}
    result = run_gate(QUICK, restarting, None, tmp_path, account, load=LOAD)
    assert sign_ins(restarting) == 3  # two 503s, a second apart, then a token
    # Signed in: writes are tested (the stub's legacy writes then refuse the token's users,
    # which is beside the point here), and nothing blocked the gate.
    assert "writes" not in result.skipped_features
    assert not any("cannot sign in" in r for r in result.reasons)


def test_a_read_only_gate_writes_nothing(healthy: str, tmp_path: Path) -> None:
    before = on_server(healthy)
    cfg = dataclasses.replace(QUICK, read_only=True, min_requests=1)  # reads only: fewer
    result = run_gate(cfg, healthy, None, tmp_path, load=LOAD)
    assert result.passed, result.reasons
    assert result.created_ids == []
    assert "read-only" in result.skipped_features["writes"]
    assert on_server(healthy) == before
    assert not [e for e in result.endpoints if e["method"] in ("POST", "PATCH", "DELETE")]


def test_a_cleanup_gate_deletes_what_it_wrote(healthy: str, tmp_path: Path) -> None:
    before = on_server(healthy)
    cfg = dataclasses.replace(QUICK, cleanup=True)
    result = run_gate(cfg, healthy, None, tmp_path, load=LOAD)
    assert result.passed, result.reasons
    assert result.created_ids  # it did write...
    assert not set(result.created_ids) & on_server(healthy)  # ...and left none of it
    assert on_server(healthy) >= before - set(result.created_ids)


def test_slow_server_fails_on_latency(slow: str, tmp_path: Path) -> None:
    result = run_gate(QUICK, slow, None, tmp_path, load=LOAD)
    assert not result.passed
    assert result.exit_code == 1
    assert any(r.startswith("p95") for r in result.reasons)


def test_errors_fail_the_gate_and_are_named(erroring: str, tmp_path: Path) -> None:
    result = run_gate(QUICK, erroring, None, tmp_path, load=LOAD)
    assert not result.passed
    assert any(r.startswith("failure ratio") for r in result.reasons)
    assert result.measures["num_failures"] > 0
    assert any("status 500" in e["error"] for e in result.errors)


def test_unreachable_host_fails(tmp_path: Path) -> None:
    cfg = GateConfig(name="pre_switch", users=2, spawn_rate=2, duration_s=2, min_requests=1)
    result = run_gate(cfg, "http://127.0.0.1:24109", None, tmp_path, load=LOAD)
    assert not result.passed
    assert result.measures["num_requests"] == 0 or result.measures["num_failures"] > 0


def test_a_cancelled_run_stops_early_with_its_verdict(healthy: str, tmp_path: Path) -> None:
    """The control beside an interrupted gate: its locust quits now, not at -t."""
    cfg = GateConfig(name="pre_switch_control", users=2, spawn_rate=2, duration_s=120)
    cancel = threading.Event()
    threading.Timer(4, cancel.set).start()
    started = time.monotonic()
    result = run_gate(cfg, healthy, None, tmp_path, load=LOAD, cancel=cancel)
    assert time.monotonic() - started < 40
    assert not result.no_verdict  # stopped by SIGINT: locust still wrote its verdict
    assert result.measures["num_requests"] > 0
