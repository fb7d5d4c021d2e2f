"""What a deploy applies: the idle colour's rendered objects, server-side, as the rollout.

Config, resources and probes change through the same gates as the image: the overlay is
rendered with the service layer, and the idle colour's Deployment, HPA and PDB, with the
ConfigMaps and Secrets its pods read, are applied (server-side, field manager FIELD_MANAGER)
with the release's image. The Services are never in it: their `color` selector belongs to
the switch (SWITCH_MANAGER) and to nothing a user or the pipeline applies. `replicas` is
left out too: the HPA owns it, and the rollout scales the colour up and down.
"""

from __future__ import annotations

import copy
import json

from kitcore.contract import Contract
from rollout.kube.kubectl import Kubectl
from rollout.kube.objects import Obj, name_of

FIELD_MANAGER = "flask-deploy-kit-rollout"
SWITCH_MANAGER = "flask-deploy-kit-switch"
COLOUR_KINDS = ("Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget")


def _pod_spec(workload: Obj) -> Obj:
    return dict(workload["spec"]["template"]["spec"])


def referenced(workload: Obj) -> set[tuple[str, str]]:
    """The ConfigMaps and Secrets a workload's pods read: (kind, name)."""
    spec = _pod_spec(workload)
    found: set[tuple[str, str]] = set()
    for c in [*spec.get("initContainers", []), *spec.get("containers", [])]:
        for source in c.get("envFrom", []):
            if "configMapRef" in source:
                found.add(("ConfigMap", source["configMapRef"]["name"]))
            if "secretRef" in source:
                found.add(("Secret", source["secretRef"]["name"]))
        for env in c.get("env", []):
            ref = env.get("valueFrom", {})
            if "configMapKeyRef" in ref:
                found.add(("ConfigMap", ref["configMapKeyRef"]["name"]))
            if "secretKeyRef" in ref:
                found.add(("Secret", ref["secretKeyRef"]["name"]))
    for volume in spec.get("volumes", []):
        if "configMap" in volume:
            found.add(("ConfigMap", volume["configMap"]["name"]))
        if "secret" in volume:
            found.add(("Secret", volume["secret"]["secretName"]))
    return found


def with_image(workload: Obj, container: str, image: str) -> Obj:
    """A copy of a rendered workload running image in the container, without `replicas`."""
    out = copy.deepcopy(workload)
    out["spec"].pop("replicas", None)
    for c in _pod_spec(out)["containers"]:
        if c["name"] == container:
            c["image"] = image
            break
    else:
        raise ValueError(f"{name_of(workload)} has no container {container!r}")
    return out


def _with_inputs(docs: list[Obj], workloads: list[Obj]) -> list[Obj]:
    """The workloads, preceded by the rendered ConfigMaps and Secrets they read."""
    wanted = {ref for w in workloads for ref in referenced(w)}
    inputs = [d for d in docs if (d.get("kind"), name_of(d)) in wanted]
    return [*inputs, *workloads]


def colour_objects(docs: list[Obj], contract: Contract, colour: str, image: str) -> list[Obj]:
    """The idle colour's objects to apply for a release (its image in the app container)."""
    name = contract.k8s_name(colour)
    objs = [d for d in docs if d.get("kind") in COLOUR_KINDS and name_of(d) == name]
    deployments = [d for d in objs if d["kind"] == "Deployment"]
    if len(deployments) != 1:
        raise ValueError(f"the overlay renders no Deployment {name!r}")
    web = with_image(deployments[0], contract.kubernetes.container, image)
    rest = [d for d in objs if d["kind"] != "Deployment"]
    return [*_with_inputs(docs, [web]), *rest]


def worker_objects(docs: list[Obj], contract: Contract, image: str) -> list[Obj]:
    """The worker's objects for the serving release ([] when the service has no worker)."""
    name = contract.k8s_name("worker")
    found = [d for d in docs if d.get("kind") == "Deployment" and name_of(d) == name]
    if not found:
        return []
    worker = with_image(found[0], "worker", image)
    worker["spec"]["replicas"] = found[0]["spec"].get("replicas", 1)  # no HPA: the overlay's
    return _with_inputs(docs, [worker])


def shared_objects(docs: list[Obj], contract: Contract) -> list[Obj]:
    """What an operator applies after the first install: all but what the rollout owns.

    The colours' workloads, the worker and the migration Job change only through a rollout
    (their image and config are gated); applying them by hand would conflict with the
    rollout's fields, or, forced, ship an ungated release.
    """
    owned = {(k, contract.k8s_name(c)) for k in COLOUR_KINDS for c in ("blue", "green")}
    owned |= {("Deployment", contract.k8s_name("worker")), ("Job", contract.k8s_name("migrate"))}
    return [d for d in docs if (d.get("kind"), name_of(d)) not in owned]


def server_side_apply(kubectl: Kubectl, objs: list[Obj]) -> None:
    """Apply objects server-side as the rollout, taking over fields another manager set."""
    body = {"apiVersion": "v1", "kind": "List", "items": objs}
    kubectl.run(
        "apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "--force-conflicts",
        "-f", "-", stdin=json.dumps(body),
    )  # fmt: skip
