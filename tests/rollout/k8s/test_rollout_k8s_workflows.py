"""Structure of the deploy and kind e2e workflows, plus zizmor and the workflow JSON schema."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
FILES = ("deploy.yml", "k8s-e2e.yml")
PINNED = re.compile(r"uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+(\.\d+)*$")
# Verified commit SHAs (also used by image.yml / infra.yml); a new one needs verifying first.
KNOWN = {
    "actions/checkout": "08c6903cd8c0fde910a37f88322edcfb5dd907a8",
    "astral-sh/setup-uv": "08807647e7069bb48b6ef5acd8ec9567f424441b",
    "aws-actions/configure-aws-credentials": "a03048d87541d1d9fcf2ecf528a4a65ba9bd7838",
    "actions/upload-artifact": "ea165f8d65b6e75b540449e92b4886f43607fa02",
    "helm/kind-action": "a1b0e391336a6ee6713a0583f8c6240d70863de3",
}


def load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True)  # YAML 1.1 reads the key `on` as true
    return dict(doc)


def steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in doc["jobs"].values() for s in job["steps"]]


@pytest.mark.parametrize("name", FILES)
def test_actions_pinned_to_verified_shas(name: str) -> None:
    lines = [ln.strip().removeprefix("- ") for ln in (WORKFLOWS / name).read_text().splitlines()]
    uses = [ln for ln in lines if ln.startswith("uses:")]
    assert uses
    for line in uses:
        match = PINNED.match(line)
        assert match, f"not pinned to a commit with a version comment: {line}"
        assert KNOWN[match.group(1)] == match.group(2), line


@pytest.mark.parametrize("name", FILES)
def test_least_privilege_timeouts_and_no_credentials_left(name: str) -> None:
    doc = load(name)
    assert doc["permissions"] == {}
    for job_name, job in doc["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 60, job_name
        perms = job["permissions"]
        assert perms.get("contents") == "read"
        assert set(perms) <= {"contents", "id-token"}
        # In deploy.yml, only the jobs behind an environment get OIDC (not `verify`).
        assert ("id-token" in perms) == (name.startswith("deploy") and "environment" in job)
    for step in steps(doc):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
        # Inputs and secrets reach scripts through env only (no template injection).
        assert "${{" not in step.get("run", ""), step.get("name")


def test_deploy_runs_each_environment_in_order_behind_its_environment() -> None:
    doc = load("deploy.yml")
    assert doc["on"]["workflow_call"]["inputs"]["image"]["required"] is True
    jobs = doc["jobs"]
    assert [j["environment"] for j in jobs.values() if "environment" in j] == ["staging", "prod"]
    # Both wait for `verify` (the commit is on the default branch; tests/github checks it).
    assert jobs["deploy-staging"]["needs"] == "verify"
    assert jobs["deploy-prod"]["needs"] == ["verify", "deploy-staging"]
    for env in ("staging", "prod"):
        job = jobs[f"deploy-{env}"]
        assert job["concurrency"] == {"group": f"deploy-{env}", "cancel-in-progress": False}
        runs = " ".join(s.get("run", "") for s in job["steps"])
        assert "aws eks update-kubeconfig" in runs
        assert f"rollout deploy --target k8s --overlay {env} --context kit-{env}" in runs
        assert "kitcore.contract get kubernetes.namespace" in runs  # the contract names it
        assert '--image "$IMAGE" --version "$VERSION" --gate-image "$GATE_IMAGE"' in runs
        # The gates' account reaches the cluster as the Secret their Job reads, not the runner.
        assert '"$prefix-gate-account"' in runs
        assert "loadtest-user.json" not in runs
        aws = next(s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", ""))
        assert aws["with"]["role-to-assume"] == "${{ vars.DEPLOY_ROLE_ARN }}"
        checkout = next(s for s in job["steps"] if "checkout" in s.get("uses", ""))
        assert checkout["with"]["ref"] == "${{ inputs.version }}"


def test_e2e_runs_every_failure_path_for_real() -> None:
    doc = load("k8s-e2e.yml")
    (job,) = doc["jobs"].values()
    runs = [s.get("run", "") for s in job["steps"]]
    deploys = [r for r in runs if "rollout deploy --target k8s" in r]
    assert len(deploys) == 8
    assert '"$IMAGE_NAME:e2e-1"' in deploys[0]
    assert '"$IMAGE_NAME:e2e-2"' in deploys[1]
    assert "post_switch.min_requests" in deploys[2]
    assert 'test "$code" = 11' in deploys[2]
    assert 'test "$code" = 5' in deploys[3]
    assert "config.env" in deploys[4]
    assert 'kill -TERM "$pid"' in deploys[5]
    assert 'test "$code" = 130' in deploys[5]
    assert '"0 3 "' in deploys[6]  # two deployers: one proceeds, one is refused
    assert 'kill -KILL "$pid"' in deploys[7]
    assert any("rollout rollback --target k8s" in r for r in runs)
    assert any("kind load docker-image" in r and '"$GATE_IMAGE"' in r for r in runs)
    assert any("scripts/gate-image.sh" in r for r in runs)
    assert all('--gate-image "$GATE_IMAGE"' in r for r in deploys)  # every gate is a Job
    assert any("ingress-nginx" in r and "kind/deploy.yaml" in r for r in runs)
    # Every name comes from the contract; none of the reference app's is written down.
    text = (WORKFLOWS / "k8s-e2e.yml").read_text()
    assert "python -m kitcore.contract get kubernetes.namespace" in text
    for name in ("flask-kit:", "app-active", "app-blue", "app-green", "NS: flask-kit"):
        assert name not in text
    for script in ("expect.sh", "rollout-phase.sh"):
        assert (REPO_ROOT / "tests/rollout/k8s/e2e" / script).stat().st_mode & 0o111
    kind = next(s for s in job["steps"] if "kind-action" in s.get("uses", ""))
    assert (REPO_ROOT / kind["with"]["config"]).exists()


def test_zizmor_and_the_workflow_schema_pass() -> None:
    paths = [str(WORKFLOWS / f) for f in FILES]
    bin_dir = REPO_ROOT / ".venv" / "bin"
    for cmd in (
        [str(bin_dir / "zizmor"), "--offline", *paths],
        [str(bin_dir / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *paths],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_e2e_dependencies_are_valid_and_pinned() -> None:
    path = Path(__file__).resolve().parent / "e2e" / "deps.yaml"
    images = re.findall(r"image: (\S+)", path.read_text())
    assert images
    assert all(re.search(r":[\w.-]+@sha256:[0-9a-f]{64}$", i) for i in images)
    proc = subprocess.run(
        [str(REPO_ROOT / ".venv/bin/kubernetes-validate"), "--strict", "-k", "1.33.0", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
