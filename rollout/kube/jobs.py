"""Wait for a Kubernetes Job to end: the migration's and the gate's Jobs alike."""

from __future__ import annotations

import time

from rollout.kube.kubectl import Kubectl, KubectlError
from rollout.kube.objects import job_state


def wait_job(
    kubectl: Kubectl, name: str, timeout_s: float, poll_s: float, what: str
) -> tuple[str, str]:
    """Poll the Job until it ends; return ('complete'|'failed'|'timeout', reason).

    One `get` reads both conditions; `kubectl wait --for=condition=complete` alone would sit
    out its whole timeout on a Job that has already failed.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        job = kubectl.get_one("job", name, missing_ok=True)
        if job is None:
            raise KubectlError(f"{what} Job {name} disappeared while it ran")
        state, reason = job_state(job)
        if state != "running":
            return state, reason
        if time.monotonic() > deadline:
            return "timeout", f"not finished after {timeout_s:.0f}s"
        time.sleep(poll_s)
