"""infra.yml: what a pull request can reach (issue 13, item 1).

A pull request runs its own Pulumi program, and a program can print any value of the state it
previews. So no job a pull request starts may preview (or refresh) prod, or hold an environment
whose credentials reach prod; prod is previewed on the default branch only.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from workflow_model import event, load, running_jobs, steps, uses

WORKFLOW = load("infra.yml")
JOBS: dict[str, Any] = WORKFLOW["jobs"]
PROD_ENVIRONMENTS = {"prod", "infra-preview-prod"}


def _stacks(job: dict[str, Any]) -> set[str]:
    """Return the stacks a job's Pulumi steps act on, with its matrix expanded."""
    matrix = job.get("strategy", {}).get("matrix", {})
    stacks: set[str] = set()
    for step in steps(job):
        if uses(step, "pulumi/actions"):
            name = str(step["with"]["stack-name"])
            found = re.fullmatch(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", name)
            stacks |= set(matrix[found[1]]) if found else {name}
    return stacks


def _commands(job: dict[str, Any]) -> set[str]:
    return {s["with"]["command"] for s in steps(job) if uses(s, "pulumi/actions")}


PULL_REQUESTS = {
    "same-repository": event("pull_request", "refs/pull/7/merge"),
    "fork": event("pull_request", "refs/pull/8/merge", fork=True),
}


@pytest.mark.parametrize("origin", PULL_REQUESTS)
def test_a_pull_request_never_reaches_prod(origin: str) -> None:
    ran = running_jobs(WORKFLOW, PULL_REQUESTS[origin])
    assert "test" in ran
    for name in ran:
        job = JOBS[name]
        assert "prod" not in _stacks(job), f"{name} acts on prod for a pull request"
        assert job.get("environment") not in PROD_ENVIRONMENTS, name
        assert _commands(job) <= {"preview"}, name


def test_fork_pull_requests_get_no_credentials() -> None:
    ran = running_jobs(WORKFLOW, PULL_REQUESTS["fork"])
    for name in ran:
        assert "id-token" not in JOBS[name]["permissions"], name
        assert "environment" not in JOBS[name], name


def test_pull_requests_preview_the_other_stacks_with_the_policy_pack() -> None:
    ran = running_jobs(WORKFLOW, PULL_REQUESTS["same-repository"])
    previewed = set().union(*(_stacks(JOBS[n]) for n in ran))
    assert previewed == {"dev", "staging"}
    for name in ran:
        for step in steps(JOBS[name]):
            if uses(step, "pulumi/actions"):
                assert step["with"]["policyPacks"].endswith("/infra/policy")
                # refresh reads live resources with the preview role: not for unreviewed code.
                assert step["with"].get("refresh") is not True


def test_prod_is_previewed_on_the_default_branch_only() -> None:
    main = running_jobs(WORKFLOW, event("push"))
    prod_previews = {
        n for n in main if "prod" in _stacks(JOBS[n]) and _commands(JOBS[n]) == {"preview"}
    }
    assert prod_previews, "no prod preview on the default branch"
    for name in prod_previews:
        assert JOBS[name]["environment"] in PROD_ENVIRONMENTS
        # The same job started from any other branch (a manual run) does not run.
        for context in (
            event("workflow_dispatch", "refs/heads/feature"),
            event("push", "refs/heads/feature"),
        ):
            assert name not in running_jobs(WORKFLOW, context)
    # The environment a pull request can obtain is never the one prod previews run in.
    pr_environments = {
        JOBS[n].get("environment") for n in running_jobs(WORKFLOW, PULL_REQUESTS["same-repository"])
    }
    assert not pr_environments & {JOBS[n]["environment"] for n in prod_previews}
