"""Run a locust gate as a Job in the app's namespace and read its verdict from the Job's log.

The gate image (loadtests/Dockerfile.gate) prints the gate plugin's verdict JSON as its last
log line, after VERDICT_MARKER. The Job is created, waited for (bounded by its own deadline),
its log read and kept in the report directory, then deleted; an interrupted wait deletes it
too, so no load keeps running against the cluster after the rollout stopped.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path
from typing import Any

from kitcore.contract import Contract
from loadtests.gate_main import VERDICT_MARKER  # what the gate image prints before its verdict
from rollout.errors import TargetError
from rollout.kube.gatejob_render import CONTAINER, GateJobSpec, deadline_s, render_gate_job
from rollout.kube.jobs import wait_job
from rollout.kube.kubectl import Kubectl, KubectlError
from rollout.verify.gates import GateConfig
from rollout.verify.loadrun import LoadResult

WAIT_MARGIN_S = 30  # beyond the Job's own deadline: the controller marks it Failed first


def new_run_id() -> str:
    """Return a fresh id for one gate run (a rerun never meets a left-over Job's name)."""
    return uuid.uuid4().hex[:8]


def parse_verdict(log: str) -> dict[str, Any] | None:
    """Return the last verdict the gate printed, None when it printed none."""
    for line in reversed(log.splitlines()):
        _, marker, payload = line.partition(VERDICT_MARKER)
        if marker:
            try:
                found = json.loads(payload)
            except ValueError:
                return None
            return found if isinstance(found, dict) else None
    return None


def _delete(kubectl: Kubectl, name: str) -> None:
    """Delete the Job and its pod; never wait for it (the rollout moves on)."""
    # Best effort: ttlSecondsAfterFinished removes it anyway; never mask why the gate ended.
    with contextlib.suppress(KubectlError):
        kubectl.run(
            "delete", "job", name, "--ignore-not-found", "--wait=false", check=False, timeout=30
        )


def read_result(cfg: GateConfig, name: str, log: str, state: str, out_dir: Path) -> LoadResult:
    """Turn the Job's log into the gate's result; keep the log and verdict as artefacts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"locust-{cfg.name}.log").write_text(log)
    verdict = parse_verdict(log)
    if verdict is None:
        tail = log.strip()[-600:] or "(empty log)"
        raise TargetError(f"gate Job {name} ({state}) printed no {VERDICT_MARKER.strip()}: {tail}")
    path = out_dir / f"locust-{cfg.name}.json"
    path.write_text(json.dumps(verdict))
    # A Failed Job is locust's non-zero exit (thresholds broken) or its deadline.
    result = LoadResult.from_verdict(path, path, int(state != "complete"))
    result.html = None  # locust's HTML report stays in the pod: the verdict is what counts
    return result


def run_gate_job(
    kubectl: Kubectl, contract: Contract, spec: GateJobSpec, out_dir: Path, poll_s: float = 2.0
) -> LoadResult:
    """Create the gate Job, wait for it, read its verdict, delete it."""
    job = render_gate_job(contract, spec)
    name = job["metadata"]["name"]
    try:  # from the create on: an interrupt may land once the API server has the Job
        kubectl.run("create", "-f", "-", stdin=json.dumps(job))
        state, reason = wait_job(
            kubectl, name, deadline_s(spec.cfg) + WAIT_MARGIN_S, poll_s, "gate"
        )
        res = kubectl.run("logs", f"job/{name}", "-c", CONTAINER, check=False, timeout=60)
        log = res.stdout if res.returncode == 0 else f"{res.stdout}\n{res.stderr}"
        if reason:
            log += f"\n(gate Job {name}: {reason})"
    finally:
        _delete(kubectl, name)  # also on Ctrl-C / SIGTERM: stop the load with the rollout
    return read_result(spec.cfg, name, log, state, out_dir)
