"""Read the few facts the rollout needs out of Kubernetes objects (parsed `-o json`)."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def selector_colour(service: Obj) -> str | None:
    """Return the `color` key of a Service's selector."""
    colour = (service.get("spec", {}).get("selector") or {}).get("color")
    return str(colour) if colour else None


def container(obj: Obj, name: str) -> Obj:
    """Return a container of a Pod or of a workload's pod template."""
    spec = obj.get("spec", {})
    pod_spec = spec.get("template", {}).get("spec", spec)
    for c in pod_spec.get("containers", []):
        if c.get("name") == name:
            return dict(c)
    raise KeyError(f"{obj.get('metadata', {}).get('name')} has no container {name!r}")


def replicas(deployment: Obj) -> int:
    """Return the desired replica count of a Deployment."""
    return int(deployment.get("spec", {}).get("replicas") or 0)


def name_of(obj: Obj) -> str:
    """Return metadata.name."""
    return str(obj.get("metadata", {}).get("name", ""))


def pod_ready(pod: Obj) -> bool:
    """Say whether a pod is Ready and not being deleted."""
    if pod.get("metadata", {}).get("deletionTimestamp"):
        return False
    conditions = pod.get("status", {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def pod_problems(pod: Obj) -> list[str]:
    """Name what keeps a pod from running (ImagePullBackOff, CrashLoopBackOff, Pending...)."""
    status = pod.get("status", {})
    problems = []
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state", {})
        waiting = state.get("waiting") or {}
        if waiting.get("reason"):
            problems.append(f"{cs.get('name')}: {waiting['reason']} {waiting.get('message', '')}")
        if int(cs.get("restartCount") or 0):
            problems.append(f"{cs.get('name')}: {cs['restartCount']} restart(s)")
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            problems.append(f"unschedulable: {cond.get('message', '')}")
    return [p.strip() for p in problems]


def job_state(job: Obj) -> tuple[str, str]:
    """Return ('complete'|'failed'|'running', reason) from a Job's conditions."""
    for cond in job.get("status", {}).get("conditions") or []:
        if cond.get("status") != "True":
            continue
        if cond.get("type") == "Complete":
            return "complete", ""
        if cond.get("type") == "Failed":
            return "failed", f"{cond.get('reason', '')}: {cond.get('message', '')}".strip(": ")
    return "running", ""


def endpoint_pods(slices: list[Obj]) -> list[tuple[str, bool]]:
    """List (pod name, ready) of every endpoint in a Service's EndpointSlices."""
    found = []
    for eps in slices:
        for ep in eps.get("endpoints") or []:
            ref = ep.get("targetRef") or {}
            ready = (ep.get("conditions") or {}).get("ready") is not False
            found.append((str(ref.get("name", "")), ready))
    return found
