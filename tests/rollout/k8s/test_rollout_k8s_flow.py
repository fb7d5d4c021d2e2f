"""The whole `deploy --target k8s` flow against the recording kubectl stand-in: the exact
command sequence of a promotion, and each failure path with its exit code and where the
public traffic (app-active) is left."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rollout_k8s_harness import REPO_ROOT, V1, V2, Cluster

from kitcore.release import Release
from rollout.exitcodes import Exit
from rollout.flow import Options, Rollout
from rollout.outcome import Outcome
from rollout.store import FileStore
from rollout.targets.k8s import K8sConfig, K8sTarget
from rollout.verify.gates import GateConfig, load_gates
from rollout.verify.loadrun import LoadResult, LoadSpec
from rollout.verify.testinfra import PodSpec, service_facts
from rollout.verify.verdict import Verdict
from tests.support.contract import REFERENCE, REFERENCE_GATES

PUBLIC = "https://public.invalid"


class Checks:
    """Stand-in for the testinfra run (tested for real in test_rollout_k8s_pod_checks.py)."""

    def __init__(self) -> None:
        self.ok = True
        self.ran: list[tuple[str, PodSpec]] = []

    def __call__(
        self, checks: Path, host: str, spec: PodSpec, out: Path, path_first: str | None
    ) -> Verdict:
        self.ran.append((host, spec))
        (out / "testinfra.txt").write_text("stub")
        failures = [] if self.ok else ["test_runs_as_the_app_uid[master]: uid 0"]
        return Verdict.of("testinfra", failures)


class Gates:
    """Stand-in for locust: the pre-switch gate GETs /healthz through the preview URL first."""

    def __init__(self) -> None:
        self.failing: set[str] = set()
        self.seen: list[tuple[str, str, dict[str, Any] | None]] = []

    def __call__(
        self, cfg: GateConfig, host: str, ca: Path | None, out: Path, env: Any = None, **_: Any
    ) -> LoadResult:
        health = None
        if host != PUBLIC:
            with urllib.request.urlopen(host + "/healthz", timeout=5) as resp:  # noqa: S310
                health = json.loads(resp.read())
        self.seen.append((cfg.name, host, health))
        ok = cfg.name not in self.failing
        return LoadResult(
            gate=cfg.name, passed=ok, reasons=[] if ok else ["p95 900 ms above 300 ms"],
            measures={"num_requests": 600, "num_failures": 0, "p95_ms": 40, "p99_ms": 60},
        )  # fmt: skip


@pytest.fixture
def gates(monkeypatch: pytest.MonkeyPatch) -> Gates:
    fake = Gates()
    monkeypatch.setattr("rollout.flow.run_gate", fake)
    return fake


@pytest.fixture
def public(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Failures the post-switch smoke check of the public route reports (none by default)."""
    failures: list[str] = []
    monkeypatch.setattr("rollout.flow.smoke", lambda *a, **k: Verdict.of("smoke", failures))
    return failures


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> Checks:
    fake = Checks()
    monkeypatch.setattr("rollout.targets.k8s.run_testinfra", fake)
    return fake


@pytest.fixture
def target(cluster: Cluster, overlay: Path, checks: Checks) -> Iterator[K8sTarget]:
    cfg = K8sConfig(
        overlay=overlay, kubectl=str(cluster.kubectl), public_url=PUBLIC,
        settle_timeout_s=3, switch_timeout_s=0.5, migrate_timeout_s=0.5, poll_s=0.05,
    )  # fmt: skip
    tgt = K8sTarget(REFERENCE, cfg)
    yield tgt
    tgt.close()


def deploy(tmp_path: Path, target: K8sTarget, image: str = V2, version: str = "v2") -> Outcome:
    opts = Options(
        gates=load_gates(REFERENCE_GATES), reports_base=tmp_path, load=LoadSpec.of(REFERENCE),
        stop_delay_s=0,
    )  # fmt: skip
    store = FileStore(tmp_path / "state" / "rollout.json")
    report = tmp_path / "report"
    report.mkdir(exist_ok=True)
    release = Release(version, REPO_ROOT, image)
    return Rollout(target, store, release, opts, Console(quiet=True)).run(report)


PROMOTION = [
    "get service app-active",  # ensure_ready: both Services
    "get service app-active",  # active colour
    "get deployment app-blue",  # replicas to scale the idle colour to
    "set image deployment/app-green",
    "get deployment app-green",
    "scale deployment/app-green --replicas=2",
    "rollout status deployment/app-green",
    "get pods -l",  # settled: only new pods, all Ready
    "port-forward service/app-preview :80",  # /healthz answers v2 on green
    "get service app-active",  # idle colour for the migration heads
    "get pods -l",
    "exec app-green-5d8f7c-0 -c",  # the contract's migration command: current, then heads
    "exec app-green-5d8f7c-0 -c",
    "kustomize",  # the migration Job rendered from the overlay...
    "set image --local",
    "patch --local -f",
    "get job app-migrate-ab12ab12ab12",  # ...created once, waited for
    "create -f -",
    "get job app-migrate-ab12ab12ab12",
    "get deployment app-green",  # verify: uid and port from the Deployment
    "get pods -l",
    "patch service app-active",  # switch (the committed patch files)
    "patch service app-preview",
    "get service app-active",
    "get endpointslices -l",
    "get service app-active",  # stop: never the active colour
    "scale deployment/app-blue --replicas=0",
    "get deployment app-green",
    "get deployment app-worker",
    "set image deployment/app-worker",
    "rollout status deployment/app-worker",
]


def test_promotion_runs_the_documented_command_sequence(
    tmp_path: Path, cluster: Cluster, target: K8sTarget, gates: Gates, public: list[str],
    checks: Checks,
) -> None:  # fmt: skip
    cluster.update(db_heads=[])  # an empty database: every revision is pending
    outcome = deploy(tmp_path, target)
    assert outcome.code == Exit.PROMOTED, outcome.reason
    verbs = cluster.verbs()
    assert len(verbs) == len(PROMOTION), verbs
    assert [v for v, p in zip(verbs, PROMOTION, strict=True) if not v.startswith(p)] == []
    state = cluster.state()
    assert state["services"] == {"app-active": "green", "app-preview": "blue"}
    assert state["deployments"]["app-green"] == {"image": V2, "replicas": 2}
    assert state["deployments"]["app-blue"]["replicas"] == 0
    assert state["deployments"]["app-worker"]["image"] == V2
    assert list(state["jobs"]) == ["app-migrate-ab12ab12ab12"]
    assert state["jobs"]["app-migrate-ab12ab12ab12"]["image"] == V2
    # Every call is bound to one context-less namespace, never to whatever is current.
    cluster_calls = [
        c for c in cluster.calls() if c[0] not in ("kustomize",) and "--local" not in c
    ]
    assert all(c[:2] == ["--namespace", "flask-kit"] for c in cluster_calls)
    assert [g[:2] for g in gates.seen] == [("pre_switch", gates.seen[0][1]),
                                           ("post_switch", PUBLIC)]  # fmt: skip
    assert gates.seen[0][2] == {"status": "ok", "version": "v2", "color": "green"}
    host, spec = checks.ran[0]
    assert host == "kubectl://app-green-5d8f7c-0?namespace=flask-kit&container=app"
    assert spec == PodSpec(
        colour="green", version="v2", uid=10001, port=8000, service=service_facts(REFERENCE)
    )
    assert target.preview.proc is None  # the port-forward was stopped by pid


def test_second_release_goes_back_to_blue(
    tmp_path: Path, cluster: Cluster, target: K8sTarget, gates: Gates, public: list[str]
) -> None:
    assert deploy(tmp_path, target).code == Exit.PROMOTED
    v3 = "registry.example/flask-kit:v3"
    cluster.update(versions={V1: "v1", V2: "v2", v3: "v3"})
    outcome = deploy(tmp_path, target, v3, "v3")
    assert outcome.code == Exit.PROMOTED, outcome.reason
    state = cluster.state()
    assert state["services"] == {"app-active": "blue", "app-preview": "green"}
    assert state["deployments"]["app-blue"] == {"image": v3, "replicas": 2}
    assert state["deployments"]["app-green"]["replicas"] == 0
    assert state["jobs"] == {}  # schema already current: no migration Job


def assert_untouched(cluster: Cluster) -> None:
    state = cluster.state()
    assert state["services"] == {"app-active": "blue", "app-preview": "green"}
    assert state["deployments"]["app-blue"] == {"image": V1, "replicas": 2}
    assert state["deployments"]["app-worker"]["image"] == V1
    assert not any(v.startswith("patch service app-active") for v in cluster.verbs())


def test_rollout_status_timeout_fails_the_deploy(
    tmp_path: Path, cluster: Cluster, target: K8sTarget, gates: Gates, public: list[str]
) -> None:
    cluster.fail(**{"rollout:app-green": True})
    outcome = deploy(tmp_path, target)
    assert outcome.code == Exit.DEPLOY_FAILED
    assert "timed out" in outcome.reason
    assert "ImagePullBackOff" in outcome.reason  # the pods say why
    assert_untouched(cluster)
    assert cluster.state()["deployments"]["app-green"]["replicas"] == 0  # failed colour freed


def test_failed_migration_job_fails_with_its_log(
    tmp_path: Path, cluster: Cluster, target: K8sTarget, gates: Gates, public: list[str]
) -> None:
    cluster.update(db_heads=[])
    cluster.fail(job="failed")
    outcome = deploy(tmp_path, target)
    assert outcome.code == Exit.MIGRATION_FAILED
    assert "BackoffLimitExceeded" in outcome.reason
    assert "Can't locate revision" in outcome.reason  # the Job's log
    assert "logs job/app-migrate-ab12ab12ab12" in " ".join(cluster.verbs())
    assert_untouched(cluster)


def test_hanging_migration_job_times_out(
    tmp_path: Path, cluster: Cluster, target: K8sTarget, gates: Gates, public: list[str]
) -> None:
    cluster.update(db_heads=[])
    cluster.fail(job="running")
    outcome = deploy(tmp_path, target)
    assert outcome.code == Exit.MIGRATION_FAILED
    assert "not complete after" in outcome.reason
    assert_untouched(cluster)


def test_image_from_another_commit_is_refused(
    tmp_path: Path, cluster: Cluster, target: K8sTarget, gates: Gates, public: list[str]
) -> None:
    cluster.update(image_heads=["ffffffffffff"])
    outcome = deploy(tmp_path, target)
    assert outcome.code == Exit.MIGRATION_FAILED
    assert "deploy from the commit the image was built from" in outcome.reason
    assert_untouched(cluster)


def test_failed_testinfra_stops_before_the_gate(
    tmp_path: Path, cluster: Cluster, target: K8sTarget, gates: Gates, public: list[str],
    checks: Checks,
) -> None:  # fmt: skip
    checks.ok = False
    outcome = deploy(tmp_path, target)
    assert outcome.code == Exit.VERIFY_FAILED
    assert "uid 0" in outcome.reason
    assert gates.seen == []
    assert_untouched(cluster)


def test_failed_gate_leaves_traffic_untouched(
    tmp_path: Path, cluster: Cluster, target: K8sTarget, gates: Gates, public: list[str]
) -> None:
    gates.failing.add("pre_switch")
    outcome = deploy(tmp_path, target)
    assert outcome.code == Exit.GATE_FAILED
    assert_untouched(cluster)


def test_failed_post_switch_check_switches_back(
    tmp_path: Path, cluster: Cluster, target: K8sTarget, gates: Gates, public: list[str]
) -> None:
    public.append("GET /: status 502, expected 200")
    outcome = deploy(tmp_path, target)
    assert outcome.code == Exit.ROLLED_BACK
    patches = [v for v in cluster.verbs() if v.startswith("patch service")]
    assert patches == [
        "patch service app-active", "patch service app-preview",  # to green
        "patch service app-active", "patch service app-preview",  # and back to blue
    ]  # fmt: skip
    files = [c[-1] for c in cluster.calls() if "--patch-file" in c]
    assert [Path(f).name for f in files] == [
        "switch-to-green.patch.yaml", "switch-to-blue.patch.yaml",
        "switch-to-blue.patch.yaml", "switch-to-green.patch.yaml",
    ]  # fmt: skip
    state = cluster.state()
    assert state["services"] == {"app-active": "blue", "app-preview": "green"}
    assert state["deployments"]["app-blue"]["replicas"] == 2
    assert state["deployments"]["app-worker"]["image"] == V1


def test_endpoints_that_never_follow_fail_the_switch_and_switch_back(
    tmp_path: Path, cluster: Cluster, target: K8sTarget, gates: Gates, public: list[str]
) -> None:
    cluster.fail(endpoints=True)
    outcome = deploy(tmp_path, target)
    assert outcome.code == Exit.SWITCH_FAILED
    assert "endpoints not all green" in outcome.reason
    assert cluster.state()["services"] == {"app-active": "blue", "app-preview": "green"}


def test_port_forward_that_cannot_start_fails_the_deploy(
    tmp_path: Path, cluster: Cluster, target: K8sTarget, gates: Gates, public: list[str]
) -> None:
    cluster.fail(portforward="refuse")
    outcome = deploy(tmp_path, target)
    assert outcome.code == Exit.DEPLOY_FAILED
    assert "port-forward to service/app-preview did not start" in outcome.reason
    assert "pod is not running" in outcome.reason
    assert_untouched(cluster)
    assert target.preview.proc is None


def test_port_forward_dying_mid_checks_fails_verification(
    tmp_path: Path, cluster: Cluster, target: K8sTarget, gates: Gates, public: list[str]
) -> None:
    # Each forward serves one request then exits; the target restarts a dead forward before
    # each use, but one dying under the smoke checks fails them (never a silent pass).
    cluster.fail(portforward="die:1")
    outcome = deploy(tmp_path, target)
    assert outcome.code == Exit.VERIFY_FAILED
    assert "smoke GET" in outcome.reason
    forwards = [v for v in cluster.verbs() if v.startswith("port-forward")]
    assert len(forwards) == 2  # restarted once (the first died after the version check)
    assert_untouched(cluster)
    assert target.preview.proc is None


def test_cli_deploy_promotes_and_writes_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cluster: Cluster, overlay: Path,
    gates: Gates, public: list[str], capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from rollout.cli import main

    monkeypatch.setattr("rollout.targets.k8s.run_testinfra", Checks())
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "state"))
    code = main([
        "deploy", "--target", "k8s", "--overlay", str(overlay), "--image", V2, "--version", "v2",
        "--public-url", PUBLIC, "--stop-delay", "0", "--reports", str(tmp_path / "reports"),
        "--kubectl", str(cluster.kubectl),
    ])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert cluster.state()["services"]["app-active"] == "green"
    (summary,) = (tmp_path / "reports").glob("*/summary.txt")
    assert "blue -> green" in summary.read_text()
