"""deploy.yml: only commits of the default branch deploy, checked before any credential exists.

Issue 13, item 2: a manual run from any branch used to check out whatever `version` named and
run that commit's rollout tool with the deploy role. The ancestry check is executed here for
real, on a repository with a commit on the default branch and one that is not.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from workflow_model import event, load, needs_closure, running_jobs, steps, uses

WORKFLOW = load("deploy.yml")
JOBS: dict[str, Any] = WORKFLOW["jobs"]
DIGEST = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/flask-kit@sha256:" + "a" * 64


def _obtains_credentials(job: dict[str, Any]) -> bool:
    return (
        "environment" in job
        or job.get("permissions", {}).get("id-token") == "write"
        or any(uses(s, "aws-actions/configure-aws-credentials") for s in steps(job))
    )


def _gate() -> tuple[str, dict[str, Any]]:
    """Return the job holding the ancestry check and that step."""
    found = [
        (name, step)
        for name, job in JOBS.items()
        for step in steps(job)
        if "merge-base --is-ancestor" in step.get("run", "")
    ]
    assert len(found) == 1, found
    return found[0]


def test_a_manual_run_from_another_branch_deploys_nothing() -> None:
    inputs = {"image": DIGEST, "version": "f" * 40}
    ran = running_jobs(WORKFLOW, event("workflow_dispatch", "refs/heads/feature", inputs=inputs))
    assert not {n for n in ran if _obtains_credentials(JOBS[n])}
    main = running_jobs(WORKFLOW, event("workflow_dispatch", inputs=inputs))
    assert {JOBS[n].get("environment") for n in main} >= {"staging", "prod"}


def test_every_job_with_credentials_waits_for_the_ancestry_check() -> None:
    gate, _ = _gate()
    gate_job = JOBS[gate]
    assert not _obtains_credentials(gate_job)
    assert "secrets." not in str(gate_job)
    checkout = next(s for s in steps(gate_job) if uses(s, "actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # full history: origin/<default> is there
    assert checkout["with"]["ref"] == "${{ inputs.version }}"
    credentialed = [n for n, job in JOBS.items() if _obtains_credentials(job)]
    assert credentialed
    for name in credentialed:
        assert gate in needs_closure(WORKFLOW, name), f"{name} does not wait for {gate}"


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """Return a clone of a repository (as checkout with fetch-depth 0 leaves it), one commit of
    its default branch and one of an unmerged branch."""
    origin = tmp_path_factory.mktemp("origin")
    _git(origin, "init", "-q", "-b", "main")
    _git(origin, "commit", "-q", "--allow-empty", "-m", "reviewed")
    _git(origin, "commit", "-q", "--allow-empty", "-m", "reviewed too")
    on_main = _git(origin, "rev-parse", "HEAD~1")
    _git(origin, "switch", "-q", "-c", "feature")
    _git(origin, "commit", "-q", "--allow-empty", "-m", "never reviewed")
    off_main = _git(origin, "rev-parse", "HEAD")
    _git(origin, "switch", "-q", "main")
    work = tmp_path_factory.mktemp("work") / "repo"
    _git(origin.parent, "clone", "-q", str(origin), str(work))
    return work, on_main, off_main


def _run_gate(repo: Path, version: str) -> subprocess.CompletedProcess[str]:
    _git(repo, "checkout", "-q", "--detach", version)
    _, step = _gate()
    env = {**os.environ, "VERSION": version, "IMAGE": DIGEST, "DEFAULT_BRANCH": "main"}
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True
    )


def test_the_check_passes_a_commit_of_the_default_branch(clone: tuple[Path, str, str]) -> None:
    repo, on_main, _ = clone
    done = _run_gate(repo, on_main)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_check_refuses_a_commit_off_the_default_branch(clone: tuple[Path, str, str]) -> None:
    repo, _, off_main = clone
    done = _run_gate(repo, off_main)
    assert done.returncode != 0
    assert "not reachable from main" in done.stdout


def test_the_input_check_refuses_a_short_sha() -> None:
    gate, _ = _gate()
    (check,) = [s for s in steps(JOBS[gate]) if "VERSION" in s.get("run", "") and "=~" in s["run"]]
    for version, ok in (("f" * 40, True), ("fffffff", False), ("main", False)):
        env = {**os.environ, "VERSION": version, "IMAGE": DIGEST, "GATE_IMAGE": DIGEST}
        done = subprocess.run(["bash", "-c", check["run"]], env=env, capture_output=True)
        assert (done.returncode == 0) is ok, version


def test_the_input_check_refuses_a_gate_image_not_by_digest() -> None:
    gate, _ = _gate()
    (check,) = [s for s in steps(JOBS[gate]) if "GATE_IMAGE" in s.get("run", "")]
    for gate_image, ok in ((DIGEST, True), ("registry.example/gate:latest", False), ("", False)):
        env = {**os.environ, "VERSION": "f" * 40, "IMAGE": DIGEST, "GATE_IMAGE": gate_image}
        done = subprocess.run(["bash", "-c", check["run"]], env=env, capture_output=True)
        assert (done.returncode == 0) is ok, gate_image
