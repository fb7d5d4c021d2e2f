"""Waiting for the cluster to converge: a colour's pods settled, a Service's endpoints moved."""

from __future__ import annotations

import time

from rollout.errors import TargetError
from rollout.kube.kubectl import Kubectl
from rollout.kube.objects import container, endpoint_pods, name_of, pod_problems, pod_ready


def diagnose(kubectl: Kubectl, selector: str) -> str:
    """Name what keeps the selected pods from running (for an error message)."""
    pods = kubectl.get("pods", selector=selector)
    problems = [f"{name_of(p)}: {x}" for p in pods for x in pod_problems(p)]
    return ("; pods: " + "; ".join(problems[:5])) if problems else ""


def wait_settled(
    kubectl: Kubectl, selector: str, container_name: str, image: str, timeout: float, poll: float
) -> None:
    """Wait until every selected pod runs the image, is Ready, and none is terminating."""
    deadline = time.monotonic() + timeout
    while True:
        pods = kubectl.get("pods", selector=selector)
        stale = [name_of(p) for p in pods if container(p, container_name).get("image") != image]
        unready = [name_of(p) for p in pods if not pod_ready(p)]
        if pods and not stale and not unready:
            return
        if time.monotonic() > deadline:
            raise TargetError(f"{selector} not settled: old {stale}, not ready {unready}")
        time.sleep(poll)


def wait_endpoints(
    kubectl: Kubectl, service: str, colour: str, pod_prefix: str, timeout: float, poll: float
) -> None:
    """Wait until the Service's endpoints are all the colour's pods (pod_prefix*), one Ready."""
    deadline = time.monotonic() + timeout
    while True:
        slices = kubectl.get("endpointslices", selector=f"kubernetes.io/service-name={service}")
        endpoints = endpoint_pods(slices)
        wrong = [p for p, _ in endpoints if not p.startswith(pod_prefix)]
        ready = [p for p, ok in endpoints if ok and p.startswith(pod_prefix)]
        if ready and not wrong:
            return
        if time.monotonic() > deadline:
            raise TargetError(
                f"{service} endpoints not all {colour} after {timeout:.0f}s: "
                f"ready {ready}, other {wrong}"
            )
        time.sleep(poll)
