"""Every workflow and the Dependabot config: schema-valid and zizmor-clean as a whole."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _run(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=False)


def test_the_pipeline_has_its_workflows() -> None:
    names = {path.stem for path in WORKFLOWS}
    assert {"ci", "image", "infra", "deploy", "k8s-e2e"} <= names


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_the_schema(workflow: Path) -> None:
    done = _run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", workflow)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dependabot_config_matches_the_schema() -> None:
    config = ROOT / ".github" / "dependabot.yml"
    done = _run(BIN / "check-jsonschema", "--builtin-schema", "vendor.dependabot", config)
    assert done.returncode == 0, done.stdout + done.stderr
    ecosystems = {u["package-ecosystem"] for u in yaml.safe_load(config.read_text())["updates"]}
    assert {"uv", "docker", "github-actions"} <= ecosystems


def test_zizmor_finds_nothing_in_github_config() -> None:
    done = _run(BIN / "zizmor", "--offline", ROOT / ".github")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_denies_by_default_and_bounds_every_job(workflow: Path) -> None:
    spec = yaml.safe_load(workflow.read_text())
    assert "permissions" in spec, "top-level permissions must be explicit"
    for name, job in spec["jobs"].items():
        # A job calling a reusable workflow takes no timeout; the called jobs carry theirs.
        if "steps" in job:
            assert "timeout-minutes" in job, f"{workflow.name}:{name} has no timeout"
