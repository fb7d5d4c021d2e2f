"""The gate Job (rollout/kube/gatejob_render.py) per environment, for every contract: strictly
valid, checkov-clean, hardened, bounded, and let through by the rendered NetworkPolicies to the
web pods only (it is never part of an applied overlay, so it is rendered and checked here)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from checkov_runs import CHECKOV
from k8s_harness import K8S, OVERLAYS, Doc, assert_strictly_valid, dump, of_kind, selects

from kitcore.contract import Contract
from rollout.kube.gatejob_render import GateJobSpec, deadline_s, render_gate_job
from rollout.verify.gates import GateConfig, load_gates
from tests.support.contract import REFERENCE_GATES

GATE_IMAGE = "registry.example/flask-kit-gate@sha256:" + "cd" * 32
ROUTES = ("preview", "active")


def gates_of(overlay: str) -> dict[str, GateConfig]:
    """An environment's gates (the reference's file: the names under test are the contract's)."""
    return load_gates(REFERENCE_GATES, overlay)


def gate_jobs(service: Contract, overlay: str) -> list[Doc]:
    """The pre- and post-switch gate Jobs of an environment, as `rollout deploy` creates them."""
    gates = gates_of(overlay)
    return [
        render_gate_job(
            service,
            GateJobSpec(
                gates[name],
                route,
                GATE_IMAGE,
                "0a1b2c3d",
                service.kubernetes.namespace,
            ),
        )
        for name, route in (("pre_switch", "preview"), ("post_switch", "active"))
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gate_jobs_pass_strict_validation(service: Contract, overlay: str, tmp_path: Path) -> None:
    assert_strictly_valid(gate_jobs(service, overlay), tmp_path)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_gate_job_is_bounded_by_its_environments_gate(service: Contract, overlay: str) -> None:
    gates = gates_of(overlay)
    pre, post = gate_jobs(service, overlay)
    for job, name, svc in ((pre, "pre_switch", "preview"), (post, "post_switch", "active")):
        spec = job["spec"]
        assert spec["backoffLimit"] == 0
        assert spec["activeDeadlineSeconds"] == deadline_s(gates[name]) > gates[name].duration_s
        (container,) = spec["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        assert json.loads(env["GATE_CONFIG"]["value"]) == json.loads(gates[name].to_json())
        assert env["GATE_TARGET"]["value"] == f"http://{service.k8s_name(svc)}:80"
        secret = env["LOCUST_USER_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert secret["name"] == service.k8s_name("gate-account")
        assert job["metadata"]["namespace"] == service.kubernetes.namespace
        assert job["metadata"]["name"].startswith(f"{service.k8s_name('gate')}-")
        assert len(job["metadata"]["name"]) <= 63  # the job-name label of its pods


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_let_the_gate_reach_the_web_pods_only(
    rendered: dict[str, list[Doc]], service: Contract, overlay: str
) -> None:
    policies = of_kind(rendered[overlay], "NetworkPolicy")
    (job, _) = gate_jobs(service, overlay)
    labels = job["spec"]["template"]["metadata"]["labels"]
    web = {"app.kubernetes.io/name": service.name, "app.kubernetes.io/component": "web"}
    egress = [
        p for p in policies
        if selects(p["spec"]["podSelector"].get("matchLabels", {}), labels)
        and "Egress" in p["spec"]["policyTypes"]
    ]  # fmt: skip
    # Rules to pods of this namespace (DNS is a namespaceSelector peer: kube-system's).
    local = [
        rule for p in egress for rule in p["spec"].get("egress", [])
        if any("podSelector" in peer and "namespaceSelector" not in peer for peer in rule["to"])
    ]  # fmt: skip
    to_pods = [peer["podSelector"]["matchLabels"] for rule in local for peer in rule["to"]]
    assert to_pods
    assert all(selects(sel, web) for sel in to_pods)  # the web pods, nothing else
    ports = {port["port"] for rule in local for port in rule["ports"]}
    assert ports == {service.serve.port}
    ingress = [
        rule for p in policies if selects(p["spec"]["podSelector"].get("matchLabels", {}), web)
        for rule in p["spec"].get("ingress", [])
    ]  # fmt: skip
    assert any(
        selects(peer.get("podSelector", {}).get("matchLabels", {}), labels)
        and "namespaceSelector" not in peer
        for rule in ingress for peer in rule["from"]
    )  # fmt: skip


def test_checkov_finds_nothing_in_the_gate_jobs(
    renders: Callable[[str], dict[str, list[Doc]]], tmp_path: Path
) -> None:
    from k8s_harness import CONTRACTS, contract

    docs = []
    for key in CONTRACTS:  # with the namespace's NetworkPolicies, as in a cluster
        policies = of_kind(renders(key)["prod"], "NetworkPolicy")
        jobs = [job for o in OVERLAYS for job in gate_jobs(contract(key), o)]
        (tmp_path / f"{key}.yaml").write_text(dump(policies + jobs))
        docs += jobs
    proc = subprocess.run(
        [*CHECKOV, "--config-file", str(K8S / ".checkov.yaml"), "--framework", "kubernetes",
         "-o", "json", "-d", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False, env=os.environ.copy(),
    )  # fmt: skip
    parsed = json.loads(proc.stdout)
    reports = parsed if isinstance(parsed, list) else [parsed]
    failed = [f"{c['check_id']} {c['resource']}" for r in reports
              for c in r["results"]["failed_checks"]]  # fmt: skip
    assert not failed
    assert sum(r["summary"]["passed"] for r in reports) > 20 * len(docs)
    assert proc.returncode == 0, proc.stderr[-2000:]
