"""The whole `deploy --target k8s` flow on the stateful fake cluster: what a promotion leaves
serving and running, and for each failure path its exit code and what public traffic reached."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from k8s_outcomes_harness import GATE_IMAGE, IMAGES, Verdicts, deploy, public_route, target

from rollout.exitcodes import Exit
from rollout.kube.images import release_id
from rollout.state import FAILED, PROMOTED
from rollout.targets.k8s import K8sTarget
from rollout.verify.testinfra import PodSpec, service_facts
from tests.support.contract import REFERENCE
from tests.support.fakecluster.cluster import FakeCluster

V0, V1, V2 = IMAGES["v0"], IMAGES["v1"], IMAGES["v2"]


@pytest.fixture
def k8s(
    fake_cluster: FakeCluster, overlay: Path, verdicts: Verdicts, public: str
) -> Iterator[K8sTarget]:
    tgt = target(fake_cluster, overlay, public)
    yield tgt
    tgt.close()


def assert_untouched(cluster: FakeCluster) -> None:
    """Public traffic never left v0; blue still runs it; the worker still runs it."""
    assert cluster.ever_served() == {V0}
    assert cluster.selects("active") == "blue"
    assert cluster.image_of("blue") == (V0, 2)
    assert cluster.image_of("worker")[0] == V0


def test_promotion_serves_the_new_image_and_frees_the_old(
    fake_cluster: FakeCluster, k8s: K8sTarget, verdicts: Verdicts, tmp_path: Path
) -> None:
    fake_cluster.set(db_heads=[])  # an empty database: every revision is pending
    outcome = deploy(k8s, tmp_path, "v1")
    assert outcome.code == Exit.PROMOTED, outcome.reason
    assert fake_cluster.serving() == {V1}
    assert (fake_cluster.selects("active"), fake_cluster.selects("preview")) == ("green", "blue")
    assert fake_cluster.image_of("green") == (V1, 2)
    assert fake_cluster.image_of("blue")[1] == 0
    assert fake_cluster.image_of("worker")[0] == V1  # the worker follows the serving image
    job = fake_cluster.get("Job", f"app-migrate-{release_id(V1)}")
    assert job is not None
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == V1
    # The gates ran in the cluster: the gate image, against the idle colour's preview Service
    # (v1 before the switch), then the public one; every gate Job was deleted afterwards.
    runs = fake_cluster.gate_runs()
    assert [(r["gate"], r["service"], r["versions"]) for r in runs] == [
        ("pre_switch", "app-preview", ["v1"]), ("post_switch", "app-active", ["v1"]),
    ]  # fmt: skip
    assert {r["image"] for r in runs} == {GATE_IMAGE}
    assert fake_cluster.jobs("gate") == []
    ((host, spec),) = verdicts.checked
    assert host.startswith("kubectl://app-green-")
    assert "namespace=flask-kit" in host
    assert spec == PodSpec(
        colour="green", version="v1", uid=10001, port=8000, service=service_facts(REFERENCE)
    )
    # Every call is bound to the contract's namespace, never to whatever is current.
    bound = [c for c in fake_cluster.calls() if c[0] != "kustomize" and "--local" not in c]
    assert all(c[:2] == ["--namespace", "flask-kit"] for c in bound)
    assert k8s.preview.proc is None  # the port-forward was stopped by pid
    state = k8s.store().load()
    assert (state.active, state.standing("green"), state.colours["green"].image) == (
        "green", PROMOTED, V1,
    )  # fmt: skip


def test_the_next_release_goes_back_to_blue_without_a_job(
    fake_cluster: FakeCluster, k8s: K8sTarget, tmp_path: Path
) -> None:
    assert deploy(k8s, tmp_path, "v1").code == Exit.PROMOTED
    outcome = deploy(k8s, tmp_path, "v2")
    assert outcome.code == Exit.PROMOTED, outcome.reason
    assert fake_cluster.serving() == {V2}
    assert fake_cluster.image_of("blue") == (V2, 2)
    assert fake_cluster.image_of("green")[1] == 0
    assert fake_cluster.get("Job", f"app-migrate-{release_id(V2)}") is None  # schema current


def test_pods_that_never_get_ready_fail_the_deploy(
    fake_cluster: FakeCluster, k8s: K8sTarget, tmp_path: Path
) -> None:
    fake_cluster.set(unready=[V1])
    outcome = deploy(k8s, tmp_path, "v1")
    assert outcome.code == Exit.DEPLOY_FAILED
    assert "timed out" in outcome.reason
    assert "ImagePullBackOff" in outcome.reason  # the pods say why
    assert_untouched(fake_cluster)
    assert fake_cluster.image_of("green")[1] == 0  # the failed colour is freed
    assert k8s.store().load().standing("green") == FAILED


def test_a_failed_migration_job_fails_with_its_log(
    fake_cluster: FakeCluster, k8s: K8sTarget, tmp_path: Path
) -> None:
    fake_cluster.set(db_heads=[], fail={"job": "failed"}, job_log="Can't locate revision 'x'")
    outcome = deploy(k8s, tmp_path, "v1")
    assert outcome.code == Exit.MIGRATION_FAILED
    assert "BackoffLimitExceeded" in outcome.reason
    assert "Can't locate revision" in outcome.reason  # the Job's log
    assert_untouched(fake_cluster)


def test_a_hanging_migration_job_times_out(
    fake_cluster: FakeCluster, k8s: K8sTarget, tmp_path: Path
) -> None:
    fake_cluster.set(db_heads=[], fail={"job": "running"})
    outcome = deploy(k8s, tmp_path, "v1")
    assert outcome.code == Exit.MIGRATION_FAILED
    assert "not complete after" in outcome.reason
    assert_untouched(fake_cluster)


def test_an_image_from_another_commit_is_refused(
    fake_cluster: FakeCluster, k8s: K8sTarget, tmp_path: Path
) -> None:
    fake_cluster.set(image_heads={V1: ["ffffffffffff"]})
    outcome = deploy(k8s, tmp_path, "v1")
    assert outcome.code == Exit.MIGRATION_FAILED
    assert "deploy from the commit the image was built from" in outcome.reason
    assert_untouched(fake_cluster)


def test_failed_pod_checks_stop_before_the_gate(
    fake_cluster: FakeCluster, k8s: K8sTarget, verdicts: Verdicts, tmp_path: Path
) -> None:
    verdicts.pod_failures.append("test_runs_as_the_app_uid[master]: uid 0")
    outcome = deploy(k8s, tmp_path, "v1")
    assert outcome.code == Exit.VERIFY_FAILED
    assert "uid 0" in outcome.reason
    assert fake_cluster.measured() == []
    assert_untouched(fake_cluster)


def test_a_failed_gate_leaves_traffic_untouched(
    fake_cluster: FakeCluster, k8s: K8sTarget, verdicts: Verdicts, tmp_path: Path
) -> None:
    fake_cluster.mark_bad("v1")
    outcome = deploy(k8s, tmp_path, "v1")
    assert outcome.code == Exit.GATE_FAILED
    assert "v1: p95 900 ms" in outcome.reason  # the verdict the gate Job printed
    # The control ran on the serving colour and passed: the release, not the day, is bad.
    assert fake_cluster.measured() == [("pre_switch", "v1"), ("pre_switch_control", "v0")]
    assert fake_cluster.jobs("gate") == []
    assert_untouched(fake_cluster)


def test_a_gate_job_without_a_verdict_fails_the_deploy_and_says_so(
    fake_cluster: FakeCluster, k8s: K8sTarget, verdicts: Verdicts, tmp_path: Path
) -> None:
    fake_cluster.set(fail={"gate": "no-verdict"})
    outcome = deploy(k8s, tmp_path, "v1")
    assert outcome.code != Exit.PROMOTED
    assert "printed no KIT_GATE_VERDICT" in outcome.reason
    assert fake_cluster.jobs("gate") == []
    assert_untouched(fake_cluster)


def test_a_failed_post_switch_check_switches_back(
    fake_cluster: FakeCluster, k8s: K8sTarget, verdicts: Verdicts, tmp_path: Path
) -> None:
    fake_cluster.mark_bad("v1", live_only=True)
    outcome = deploy(k8s, tmp_path, "v1")
    assert outcome.code == Exit.ROLLED_BACK
    assert fake_cluster.measured() == [
        ("pre_switch", "v1"), ("post_switch", "v1"), ("post_switch_control", "v0")
    ]  # fmt: skip
    assert fake_cluster.serving() == {V0}
    assert (fake_cluster.selects("active"), fake_cluster.selects("preview")) == ("blue", "green")
    assert fake_cluster.image_of("blue") == (V0, 2)
    assert fake_cluster.image_of("worker")[0] == V0
    assert k8s.store().load().standing("green") == FAILED


def test_endpoints_that_never_follow_fail_the_switch_and_switch_back(
    fake_cluster: FakeCluster, k8s: K8sTarget, tmp_path: Path
) -> None:
    fake_cluster.set(fail={"endpoints": True})
    outcome = deploy(k8s, tmp_path, "v1")
    assert outcome.code == Exit.SWITCH_FAILED
    assert "endpoints not all green" in outcome.reason
    assert fake_cluster.selects("active") == "blue"
    assert fake_cluster.ever_served() == {V0}


def test_a_port_forward_that_cannot_start_fails_the_deploy(
    fake_cluster: FakeCluster, k8s: K8sTarget, tmp_path: Path
) -> None:
    fake_cluster.set(fail={"portforward": "refuse"})
    outcome = deploy(k8s, tmp_path, "v1")
    assert outcome.code == Exit.DEPLOY_FAILED
    assert "port-forward to service/app-preview did not start" in outcome.reason
    assert "pod is not running" in outcome.reason
    assert_untouched(fake_cluster)
    assert k8s.preview.proc is None


def test_a_port_forward_dying_mid_checks_fails_verification(
    fake_cluster: FakeCluster, k8s: K8sTarget, tmp_path: Path
) -> None:
    # Each forward serves one request then exits; the target restarts a dead forward before
    # each use, but one dying under the smoke checks fails them (never a silent pass).
    fake_cluster.set(fail={"portforward": "die:1"})
    outcome = deploy(k8s, tmp_path, "v1")
    assert outcome.code == Exit.VERIFY_FAILED
    assert "smoke GET" in outcome.reason
    assert_untouched(fake_cluster)
    assert k8s.preview.proc is None


def test_the_cli_deploys_and_writes_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_cluster: FakeCluster, overlay: Path,
    verdicts: Verdicts, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from rollout.cli import main

    with public_route(fake_cluster) as public:
        code = main([
            "deploy", "--target", "k8s", "--overlay", str(overlay), "--image", V1,
            "--version", "v1", "--public-url", public, "--stop-delay", "0",
            "--reports", str(tmp_path / "reports"), "--kubectl", str(fake_cluster.kubectl),
            "--gate-image", GATE_IMAGE,
        ])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert fake_cluster.serving() == {V1}
    assert [(r["gate"], r["image"]) for r in fake_cluster.gate_runs()] == [
        ("pre_switch", GATE_IMAGE), ("post_switch", GATE_IMAGE),
    ]  # fmt: skip
    (verdict,) = (tmp_path / "reports").glob("*/locust-pre_switch.json")  # read from the Job's log
    assert json.loads(verdict.read_text())["gate"] == "pre_switch"
    (summary,) = (tmp_path / "reports").glob("*/summary.txt")
    assert "blue -> green" in summary.read_text()
