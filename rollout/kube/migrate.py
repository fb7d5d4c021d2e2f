"""The per-release migration Job: render it for the service, run it once, wait, read its log.

Also reads the database's Alembic heads through `kubectl exec` into a running pod of the
release (the contract's migration command with `current` and `heads`): the pod already holds
the database settings and is allowed (NetworkPolicy) to reach the database.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from kitcore.contract import Contract
from rollout.kube.images import release_id
from rollout.kube.jobs import wait_job
from rollout.kube.kubectl import Kubectl, KubectlError, Obj
from rollout.kube.render import RenderError, render_overlay

CONTAINER = "migrate"
RELEASE_LABEL = "kit.rollout/release"
# An Alembic revision line of `current` or `heads`: "0003_uploads (head)".
_REVISION = re.compile(r"^(\w+)(?: \((?:effective )?head\))*\s*$")


def job_name(template: str, image: str) -> str:
    """Return <template>-<release id>, e.g. app-migrate-0123456789ab."""
    return f"{template}-{release_id(image)}"


def render_job(kubectl: Kubectl, contract: Contract, overlay: Path, image: str) -> Obj:
    """Render the service's migration Job over the overlay for this image: the release's name,
    image and namespace (the template is <prefix>-migrate)."""
    template = contract.k8s_name("migrate")
    try:
        docs = render_overlay(contract, overlay, kubectl.binary)
    except RenderError as exc:
        raise KubectlError(str(exc)) from None
    jobs = [d for d in docs if d.get("kind") == "Job" and d["metadata"]["name"] == template]
    if len(jobs) != 1:
        raise KubectlError(f"{overlay} renders no Job {template!r} (the migration template)")
    with_image = kubectl.json(
        "set", "image", "--local", "-f", "-", f"{CONTAINER}={image}",
        stdin=json.dumps(jobs[0]), cluster=False,
    )  # fmt: skip
    patch = {
        "metadata": {
            "name": job_name(template, image),
            "namespace": kubectl.namespace,
            "labels": {RELEASE_LABEL: release_id(image)},
        }
    }
    return dict(
        kubectl.json(
            "patch",
            "--local",
            "-f",
            "-",
            "--type",
            "merge",
            "-p",
            json.dumps(patch),
            stdin=json.dumps(with_image),
            cluster=False,
        )
    )


def job_log(kubectl: Kubectl, name: str) -> str:
    """Return the tail of a Job's log (best effort: the pod may be gone)."""
    res = kubectl.run("logs", f"job/{name}", "-c", CONTAINER, "--tail=50", check=False)
    return (res.stdout or res.stderr).strip()[-3000:]


def run_job(kubectl: Kubectl, job: Obj, timeout_s: float, poll_s: float = 3.0) -> str:
    """Create the Job unless it exists, wait for Complete or Failed; return 'ran' or 'reused'."""
    name = job["metadata"]["name"]
    existing = kubectl.get_one("job", name, missing_ok=True)
    outcome = "reused"
    if existing is None:
        kubectl.run("create", "-f", "-", stdin=json.dumps(job))
        outcome = "ran"
    state, reason = wait_job(kubectl, name, timeout_s, poll_s, "migration")
    if state == "complete":
        return outcome
    if state == "failed":
        raise KubectlError(
            f"migration Job {name} failed ({reason}); delete it before retrying "
            f"(kubectl delete job {name}). Its log:\n{job_log(kubectl, name)}"
        )
    raise KubectlError(
        f"migration Job {name} not complete after {timeout_s:.0f}s. Its log:\n"
        f"{job_log(kubectl, name)}"
    )


def revisions(output: str) -> list[str]:
    """Read the revision ids Alembic's `current` or `heads` printed, one per line."""
    return [m.group(1) for line in output.splitlines() if (m := _REVISION.match(line.strip()))]


def database_heads(
    kubectl: Kubectl, pod: str, container: str, command: list[str]
) -> tuple[list[str], list[str]]:
    """Return (heads in the database, script heads in the image), asked inside a pod."""
    found = []
    for verb in ("current", "heads"):
        res = kubectl.run("exec", pod, "-c", container, "--", *command, verb, timeout=90)
        found.append(revisions(res.stdout))
    return found[0], found[1]
