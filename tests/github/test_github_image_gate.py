"""image.yml: nothing is pushed or deployed before CI passed for the same commit (issue 10)."""

from __future__ import annotations

from typing import Any

from workflow_model import event, load, needs_closure, running_jobs, steps, uses

IMAGE = load("image.yml")
CI = load("ci.yml")
JOBS: dict[str, Any] = IMAGE["jobs"]
CI_CALL = "./.github/workflows/ci.yml"


def _ci_jobs(workflow: dict[str, Any]) -> set[str]:
    """Return the jobs that run the team's CI (`.ci/run`), in place or by calling ci.yml."""
    found = set()
    for name, job in workflow["jobs"].items():
        if job.get("uses") == CI_CALL or any(".ci/run" in s.get("run", "") for s in steps(job)):
            found.add(name)
    return found


def _publishes(job: dict[str, Any]) -> bool:
    """A job that can push or deploy: it obtains AWS credentials, or calls the deploy."""
    return (
        job.get("permissions", {}).get("id-token") == "write"
        or "environment" in job
        or str(job.get("uses", "")).endswith("/deploy.yml")
    )


def test_push_and_deploy_need_ci_of_this_run() -> None:
    ran = running_jobs(IMAGE, event("push"))
    publishing = {n for n in JOBS if _publishes(JOBS[n])}
    assert {"push", "deploy"} <= publishing <= ran
    gates = _ci_jobs(IMAGE)
    assert gates
    for name in publishing:
        assert needs_closure(IMAGE, name) & gates, f"{name} does not wait for CI"
        # ...and for the tested image.
        assert "build-test" in needs_closure(IMAGE, name)


def test_ci_runs_for_every_push_that_publishes() -> None:
    for context in (
        event("push"),
        event("workflow_dispatch"),
        event("pull_request", "refs/pull/1/merge"),
    ):
        ran = running_jobs(IMAGE, context)
        if ran & {n for n in JOBS if _publishes(JOBS[n])}:
            assert ran & _ci_jobs(IMAGE)


def test_the_called_ci_is_the_whole_ci_on_the_same_commit() -> None:
    assert "workflow_call" in CI["on"]
    ran = running_jobs(CI, event("push"))
    runs = [s for name in ran for s in steps(CI["jobs"][name])]
    assert any(s.get("run", "").strip() == "bash .ci/run" for s in runs)
    for step in runs:
        if uses(step, "actions/checkout"):
            # No `ref:`: the called workflow checks out the caller's github.sha, the built commit.
            assert "ref" not in step.get("with", {})


def test_pull_requests_push_nothing() -> None:
    ran = running_jobs(IMAGE, event("pull_request", "refs/pull/1/merge"))
    assert not {n for n in ran if _publishes(JOBS[n])}
    assert "build-test" in ran
