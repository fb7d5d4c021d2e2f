"""The infra workflow, checked offline: pinned actions, least privilege, one job per stack."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from infra_harness import INFRA

WORKFLOW = INFRA.parent / ".github" / "workflows" / "infra.yml"
BIN = Path(sys.executable).parent
STACKS = sorted(p.name.split(".")[1] for p in INFRA.glob("Pulumi.*.yaml"))


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    uses = re.findall(r"uses:\s*(\S+)(.*)", WORKFLOW.read_text())
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"\s*# v\d+(\.\d+)*", comment), f"{action} lacks a '# vX.Y' comment"


def test_least_privilege_timeouts_and_concurrency(workflow: dict) -> None:
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        assert job["timeout-minutes"] <= 90, name
        assert job["permissions"].get("contents") == "read", name
        assert set(job["permissions"]) <= {"contents", "id-token", "pull-requests"}, name
        # checkov's schema rejects an expression here and then silently skips the whole file.
        assert isinstance(job["concurrency"]["cancel-in-progress"], bool), name
    for step in _steps(workflow):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_aws_access_only_through_oidc(workflow: dict) -> None:
    text = WORKFLOW.read_text()
    assert "aws-access-key-id" not in text
    assert "AWS_SECRET_ACCESS_KEY" not in text
    for name, job in workflow["jobs"].items():
        assumes = [s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")]
        if assumes:
            assert job["permissions"]["id-token"] == "write", name
            assert assumes[0]["with"]["role-to-assume"].startswith("${{ vars."), name


def test_every_stack_is_previewed_with_the_policy_pack(workflow: dict) -> None:
    # Pull requests preview the stacks below prod; prod is previewed on main only
    # (tests/github/test_github_infra_previews.py checks who can reach which).
    preview, prod = workflow["jobs"]["preview"], workflow["jobs"]["preview-prod"]
    assert preview["strategy"]["matrix"]["stack"] == ["dev", "staging"]
    assert "pull_request" in preview["if"]
    previews = [
        s
        for job in (preview, prod)
        for s in job["steps"]
        if s.get("uses", "").startswith("pulumi/actions@")
    ]
    stacks = {*preview["strategy"]["matrix"]["stack"], prod["steps"][-1]["with"]["stack-name"]}
    assert sorted(stacks) == STACKS
    for pulumi in previews:
        assert pulumi["with"]["command"] == "preview"
        assert pulumi["with"]["work-dir"] == "infra"
        assert pulumi["with"]["policyPacks"].endswith("/infra/policy")
    assert (INFRA / "policy" / "PulumiPolicy.yaml").is_file()
    assert preview["needs"] == prod["needs"] == "test"


def test_main_updates_stacks_in_order_behind_their_environments(workflow: dict) -> None:
    jobs = workflow["jobs"]
    chain = [("up-dev", "test"), ("up-staging", "up-dev"), ("up-prod", "up-staging")]
    for name, needs in chain:
        job = jobs[name]
        stack = name.removeprefix("up-")
        assert job["needs"] == needs
        assert job["environment"] == stack
        assert job["concurrency"] == {"group": f"infra-up-{stack}", "cancel-in-progress": False}
        (pulumi,) = [s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
        assert pulumi["with"]["command"] == "up"
        assert pulumi["with"]["stack-name"] == stack
    assert "refs/heads/main" in jobs["up-dev"]["if"]
    # `up` appears nowhere but in the environment-gated jobs.
    ups = [
        n for n, j in jobs.items() for s in j["steps"] if s.get("with", {}).get("command") == "up"
    ]
    assert sorted(ups) == ["up-dev", "up-prod", "up-staging"]


def test_offline_job_runs_these_tests(workflow: dict) -> None:
    runs = " ".join(s.get("run", "") for s in workflow["jobs"]["test"]["steps"])
    assert "pytest tests/infra" in runs
    assert "make install" in runs


def test_zizmor_finds_nothing() -> None:
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--persona=auditor", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_schema() -> None:
    result = subprocess.run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(WORKFLOW),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
