"""The image workflow: schema-valid, zizmor-clean, actions pinned, least privilege."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml
from docker_harness import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "image.yml"
BIN = ROOT / ".venv" / "bin"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    """Return the parsed workflow."""
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def test_matches_the_github_workflow_schema() -> None:
    done = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", WORKFLOW],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing() -> None:
    done = subprocess.run(
        [BIN / "zizmor", "--offline", "--persona=pedantic", WORKFLOW],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_action_is_pinned_to_a_commit(workflow: dict[str, Any]) -> None:
    steps = [s for job in workflow["jobs"].values() for s in job.get("steps", [])]
    uses = [s["uses"] for s in steps if "uses" in s]
    assert uses
    assert all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u) for u in uses), uses


def test_least_privilege(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["build-test"]["permissions"] == {"contents": "read"}
    assert jobs["push"]["permissions"] == {"id-token": "write"}
    assert "refs/heads/main" in jobs["push"]["if"]
    # A job that calls a reusable workflow takes no timeout; the called jobs carry their own.
    assert all("timeout-minutes" in job for job in jobs.values() if "steps" in job)
    deploy = jobs["deploy"]
    assert deploy["needs"] == "push"
    assert deploy["uses"] == "./.github/workflows/deploy.yml"
    assert deploy["with"]["image"] == "${{ needs.push.outputs.image }}"
    assert "secrets" not in deploy
    checkout = next(s for s in jobs["build-test"]["steps"] if "checkout" in s.get("uses", ""))
    assert checkout["with"]["persist-credentials"] is False
