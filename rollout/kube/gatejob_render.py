"""The locust gate as a Job manifest: one bounded run in the app's namespace, against a Service.

Rendered from the contract only (namespace, <prefix>- names, labels, port) and the gate's
thresholds: no kustomize, because the Job must never be part of an applied overlay (a first
install would run it). Its labels (app.kubernetes.io/name + component=gate) are what the base's
NetworkPolicies allow-gate and allow-gate-egress match, so its pods reach the web pods only.
"""

from __future__ import annotations

from dataclasses import dataclass

from kitcore.contract import Contract
from rollout.kube.objects import Obj
from rollout.verify.gates import GateConfig

CONTAINER = "gate"
COMPONENT = "gate"
GATE_LABEL = "kit.rollout/gate"
ROUTE_LABEL = "kit.rollout/route"
# Image pull, scheduling and locust's own start and stop on top of the gate's duration.
MARGIN_S = 90
SERVICE_PORT = 80  # the active and preview Services' port (k8s/base/service.yaml)


@dataclass(frozen=True)
class GateJobSpec:
    """What one gate Job runs: which gate, against which Service, with which image."""

    cfg: GateConfig
    service: str  # "active" or "preview": the contract's <prefix>-<role> Service
    image: str
    run_id: str
    namespace: str


def job_name(contract: Contract, gate: str, run_id: str) -> str:
    """Return <prefix>-gate-<gate>-<run id> (gate names use '-', as Kubernetes names must)."""
    return f"{contract.k8s_name('gate')}-{gate.replace('_', '-')}-{run_id}"


def target_url(contract: Contract, service: str) -> str:
    """Return the in-cluster URL of the active or preview Service."""
    return f"http://{contract.k8s_name(service)}:{SERVICE_PORT}"


def deadline_s(cfg: GateConfig) -> int:
    """Return the Job's activeDeadlineSeconds: the gate's duration plus the margin."""
    return int(cfg.duration_s) + MARGIN_S


def _account(contract: Contract, key: str, env: str) -> Obj:
    """An account variable from the <prefix>-gate-account Secret (optional: read-only gates)."""
    ref = {"name": contract.k8s_name("gate-account"), "key": key, "optional": True}
    return {"name": env, "valueFrom": {"secretKeyRef": ref}}


def _container(contract: Contract, spec: GateJobSpec) -> Obj:
    gate = contract.gate
    env = [
        {"name": "GATE_CONFIG", "value": spec.cfg.to_json()},
        {"name": "GATE_TARGET", "value": target_url(contract, spec.service)},
        {"name": "GATE_USERS", "value": " ".join(gate.users)},
        {"name": "GATE_COLOUR_HEADER", "value": contract.health.colour_header},
        _account(contract, "email", "LOCUST_USER_EMAIL"),
        _account(contract, "password", "LOCUST_USER_PASSWORD"),
    ]
    return {
        "name": CONTAINER,
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "env": env,
        # One locust process: a core at most; the request leaves room on a busy node.
        "resources": {
            "requests": {"cpu": "250m", "memory": "256Mi"},
            "limits": {"cpu": "1", "memory": "512Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 - an emptyDir
    }


def render_gate_job(contract: Contract, spec: GateJobSpec) -> Obj:
    """Return the gate's Job manifest."""
    labels = {
        "app.kubernetes.io/name": contract.name,
        "app.kubernetes.io/component": COMPONENT,
        "app.kubernetes.io/managed-by": "flask-deploy-kit-rollout",
        GATE_LABEL: spec.cfg.name,
        ROUTE_LABEL: spec.service,
    }
    pod = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [_container(contract, spec)],
        "volumes": [{"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name(contract, spec.cfg.name, spec.run_id),
            "namespace": spec.namespace,
            "labels": labels,
        },
        "spec": {
            # A gate is a measurement: a second attempt would measure something else.
            "backoffLimit": 0,
            "activeDeadlineSeconds": deadline_s(spec.cfg),
            "ttlSecondsAfterFinished": 3600,  # rollout deletes it; this is for a lost runner
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }
