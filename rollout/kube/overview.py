"""What `rollout status` shows of a cluster: each colour's Deployment and HPA, and the pods."""

from __future__ import annotations

from kitcore.contract import Contract
from rollout.kube.kubectl import Kubectl
from rollout.kube.objects import container, name_of, pod_ready, replicas

WEB = "app.kubernetes.io/component=web"


def colour_rows(kubectl: Kubectl, contract: Contract) -> dict[str, dict[str, str]]:
    """Image, replicas, ready pods and HPA current/desired of each colour's Deployment."""
    hpas = {name_of(h): h for h in kubectl.get("hpa")}
    rows: dict[str, dict[str, str]] = {}
    for dep in kubectl.get("deployment", selector=WEB):
        colour = name_of(dep).removeprefix(f"{contract.kubernetes.prefix}-")
        hpa = hpas.get(name_of(dep), {}).get("status", {})
        rows[colour] = {
            "image": str(container(dep, contract.kubernetes.container).get("image")),
            "replicas": str(replicas(dep)),
            "ready": str(dep.get("status", {}).get("readyReplicas") or 0),
            "hpa": f"{hpa.get('currentReplicas', '-')}/{hpa.get('desiredReplicas', '-')}",
        }
    return rows


def pod_rows(kubectl: Kubectl, contract: Contract) -> list[dict[str, str]]:
    """Name, colour, readiness and image of every web pod."""
    name = contract.kubernetes.container
    return [
        {"pod": name_of(p), "color": p["metadata"].get("labels", {}).get("color", ""),
         "ready": str(pod_ready(p)), "image": str(container(p, name).get("image"))}
        for p in kubectl.get("pods", selector=WEB)
    ]  # fmt: skip
