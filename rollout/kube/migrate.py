"""The per-release migration Job: render it from the overlay, run it once, wait, read its log.

Also reads the database's Alembic heads through `kubectl exec` into a running app pod, which
already holds the database settings and is allowed (NetworkPolicy) to reach the database.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import yaml  # type: ignore[import-untyped]

from rollout.kube.images import release_id
from rollout.kube.kubectl import Kubectl, KubectlError, Obj
from rollout.kube.objects import job_state

JOB_TEMPLATE = "app-migrate"
CONTAINER = "migrate"
MARKER = "ROLLOUT-HEADS "
# Runs inside the app image: the heads recorded in the database and the image's own script
# heads (so a source tree that does not match the image is caught before its scripts are judged).
HEADS_SCRIPT = f"""
import json
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from app import create_app
from app.extensions import MIGRATIONS_DIR, db
app = create_app()
with app.app_context(), db.engine.connect() as conn:
    current = MigrationContext.configure(conn).get_current_heads()
print({MARKER!r} + json.dumps({{"db": list(current),
      "image": list(ScriptDirectory(MIGRATIONS_DIR).get_heads())}}))
"""


def job_name(image: str) -> str:
    """Return app-migrate-<release id>."""
    return f"{JOB_TEMPLATE}-{release_id(image)}"


def render_job(kubectl: Kubectl, overlay: Path, image: str) -> Obj:
    """Render the overlay's migration Job for this image: the release's name, image, namespace."""
    docs = [d for d in yaml.safe_load_all(kubectl.kustomize(overlay)) if d]
    jobs = [d for d in docs if d.get("kind") == "Job" and d["metadata"]["name"] == JOB_TEMPLATE]
    if len(jobs) != 1:
        raise KubectlError(f"{overlay} renders no Job {JOB_TEMPLATE!r} (the migration template)")
    with_image = kubectl.json(
        "set", "image", "--local", "-f", "-", f"{CONTAINER}={image}",
        stdin=json.dumps(jobs[0]), cluster=False,
    )  # fmt: skip
    patch = {
        "metadata": {
            "name": job_name(image),
            "namespace": kubectl.namespace,
            "labels": {"flask-kit/release": release_id(image)},
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
    """Create the Job unless it exists, wait for Complete or Failed; return 'ran' or 'reused'.

    One `get` returns both conditions; `kubectl wait --for=condition=complete` alone would sit
    out its whole timeout on a Job that has already failed.
    """
    name = job["metadata"]["name"]
    existing = kubectl.get_one("job", name, missing_ok=True)
    outcome = "reused"
    if existing is None:
        kubectl.run("create", "-f", "-", stdin=json.dumps(job))
        outcome = "ran"
    deadline = time.monotonic() + timeout_s
    while True:
        current = kubectl.get_one("job", name, missing_ok=True)
        if current is None:
            raise KubectlError(f"migration Job {name} disappeared while waiting for it")
        state, reason = job_state(current)
        if state == "complete":
            return outcome
        if state == "failed":
            raise KubectlError(
                f"migration Job {name} failed ({reason}); delete it before retrying "
                f"(kubectl delete job {name}). Its log:\n{job_log(kubectl, name)}"
            )
        if time.monotonic() > deadline:
            raise KubectlError(
                f"migration Job {name} not complete after {timeout_s:.0f}s. Its log:\n"
                f"{job_log(kubectl, name)}"
            )
        time.sleep(poll_s)


def database_heads(kubectl: Kubectl, pod: str, container: str) -> tuple[list[str], list[str]]:
    """Return (heads in the database, script heads in the image) read inside a pod."""
    res = kubectl.run("exec", pod, "-c", container, "--", "python", "-c", HEADS_SCRIPT, timeout=90)
    for line in res.stdout.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) :])
            return [str(h) for h in data["db"]], [str(h) for h in data["image"]]
    raise KubectlError(f"no migration heads from pod {pod}: {res.stdout[-300:]}")
