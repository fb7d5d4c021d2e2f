"""Dependency audit and image SBOM in the pipeline (issue 13, item 17).

ci.yml audits every locked package on each pull request and push; image.yml audits again and
writes the image's SBOM in the job whose image is pushed, so both happen before the push.
"""

from __future__ import annotations

import subprocess
from typing import Any

from workflow_model import WORKFLOWS, event, load, needs_closure, running_jobs, steps, uses

ROOT = WORKFLOWS.parents[1]


def _audits(step: dict[str, Any]) -> bool:
    return step.get("run", "").strip() == "make audit"


def _writes_sbom(step: dict[str, Any]) -> bool:
    return "scripts/sbom.py" in step.get("run", "")


def test_make_audit_fails_on_what_it_cannot_audit() -> None:
    """The recipe audits the whole lock by hash, and --strict turns an unauditable package
    (advisory service unreachable, package unknown to it) into a failure, not a clean report."""
    done = subprocess.run(
        ["make", "-n", "-s", "-C", str(ROOT), "audit"], capture_output=True, text=True, check=True
    )
    recipe = done.stdout.replace("\\\n", " ")
    assert '"$uv" export --frozen --all-groups' in recipe  # the pinned uv (ensure-uv.sh)
    assert "--no-hashes" not in recipe
    audit = next(line for line in recipe.splitlines() if "pip-audit" in line)
    for flag in ("--strict", "--vulnerability-service pypi", "--require-hashes"):
        assert flag in audit


def test_ci_audits_the_lock_on_every_pull_request_and_push() -> None:
    ci = load("ci.yml")
    for context in (event("pull_request", "refs/pull/1/merge"), event("push")):
        ran = running_jobs(ci, context)
        assert any(_audits(s) for name in ran for s in steps(ci["jobs"][name]))


def test_the_image_is_audited_and_its_sbom_kept_before_the_push() -> None:
    image = load("image.yml")
    before_push = needs_closure(image, "push")
    for check in (_audits, _writes_sbom):
        assert any(check(s) for name in before_push for s in steps(image["jobs"][name])), check
    (job_name,) = [n for n in before_push if any(_writes_sbom(s) for s in steps(image["jobs"][n]))]
    job_steps = steps(image["jobs"][job_name])
    build = next(i for i, s in enumerate(job_steps) if s.get("run", "").strip() == "make image")
    sbom = next(i for i, s in enumerate(job_steps) if _writes_sbom(s))
    assert build < sbom  # the SBOM describes the built image (its dpkg list comes from it)
    assert "dpkg-query" in job_steps[sbom]["run"]
    output = job_steps[sbom]["run"].split(" -o ")[1].split()[0]
    uploads = [s for s in job_steps[sbom:] if uses(s, "actions/upload-artifact")]
    assert any(s["with"]["path"] == output and "if" not in s for s in uploads)
    # For pull requests too: every build is audited and gets its SBOM.
    assert job_name in running_jobs(image, event("pull_request", "refs/pull/1/merge"))
