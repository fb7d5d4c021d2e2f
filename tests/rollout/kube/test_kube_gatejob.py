"""The gate Job on the stateful fake cluster: what it measured, the verdict read from its log,
and that no gate Job is left behind, whatever ends the wait."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rollout.errors import TargetError
from rollout.kube import Kubectl
from rollout.kube.gatejob import parse_verdict, run_gate_job
from rollout.kube.gatejob_render import GateJobSpec
from rollout.verify.gates import GateConfig
from tests.support.contract import REFERENCE
from tests.support.fakecluster.cluster import FakeCluster

GATE_IMAGE = "registry.example/flask-kit-gate:test"
V0 = "registry.example/flask-kit@sha256:" + "00" * 32  # what the fake_cluster fixture serves
CFG = GateConfig(name="post_switch", duration_s=5)


def run(cluster: FakeCluster, tmp_path: Path, service: str = "active"):  # type: ignore[no-untyped-def]
    kubectl = Kubectl(cluster.namespace, binary=str(cluster.kubectl))
    spec = GateJobSpec(CFG, service, GATE_IMAGE, "r1", cluster.namespace)
    return run_gate_job(kubectl, REFERENCE, spec, tmp_path, poll_s=0.05)


def test_the_verdict_is_what_the_job_measured_behind_its_service(
    fake_cluster: FakeCluster, tmp_path: Path
) -> None:
    result = run(fake_cluster, tmp_path)
    assert result.passed, result.reasons
    assert result.measures["num_requests"] == 600
    (ran,) = fake_cluster.gate_runs()
    assert (ran["service"], ran["versions"], ran["image"]) == ("app-active", ["v0"], GATE_IMAGE)
    assert fake_cluster.jobs("gate") == []  # deleted once read
    assert "KIT_GATE_VERDICT" in (tmp_path / "locust-post_switch.log").read_text()


def test_a_bad_release_fails_the_gate_with_its_reasons(
    fake_cluster: FakeCluster, tmp_path: Path
) -> None:
    fake_cluster.mark_bad("v0")
    result = run(fake_cluster, tmp_path)
    assert not result.passed
    assert result.reasons == ["v0: p95 900 ms above 300 ms"]
    assert result.exit_code == 1  # the Job failed, as locust's exit code would make it


def test_an_empty_service_fails_the_gate(fake_cluster: FakeCluster, tmp_path: Path) -> None:
    result = run(fake_cluster, tmp_path, service="preview")  # green idles at 0 replicas
    assert not result.passed
    assert result.reasons == ["only 0 requests (minimum 100)"]


def test_no_verdict_line_is_a_clear_error(fake_cluster: FakeCluster, tmp_path: Path) -> None:
    fake_cluster.set(fail={"gate": "no-verdict"})
    no_verdict = r"app-gate-post-switch-r1 .* printed no KIT_GATE_VERDICT"
    with pytest.raises(TargetError, match=no_verdict):
        run(fake_cluster, tmp_path)
    assert fake_cluster.jobs("gate") == []


def test_an_interrupted_wait_deletes_the_job_and_goes_on_stopping(
    fake_cluster: FakeCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_cluster.set(hang=["gate post_switch"])  # the Job keeps running
    pressed: list[bool] = []
    real_sleep = time.sleep

    def ctrl_c(seconds: float) -> None:
        if pressed:  # once: what runs after it (the delete) sleeps as usual
            real_sleep(seconds)
            return
        pressed.append(True)
        assert fake_cluster.jobs("gate") == ["app-gate-post-switch-r1"]  # it was running...
        raise KeyboardInterrupt

    monkeypatch.setattr("rollout.kube.jobs.time.sleep", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        run(fake_cluster, tmp_path)
    assert fake_cluster.jobs("gate") == [], fake_cluster.calls()  # ...and is gone with it


@pytest.mark.parametrize(
    ("log", "found"),
    [
        ('x\nKIT_GATE_VERDICT {"gate": "a"}\n', {"gate": "a"}),
        ('KIT_GATE_VERDICT {"gate": "a"}\nKIT_GATE_VERDICT {"gate": "b"}\n(done)', {"gate": "b"}),
        ("locust crashed\n", None),
        ("KIT_GATE_VERDICT {not json\n", None),
    ],
)
def test_the_last_verdict_line_counts(log: str, found: object) -> None:
    assert parse_verdict(log) == found
