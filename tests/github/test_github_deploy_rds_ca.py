"""deploy.yml writes the RDS CA bundle the pods verify the database with (issue 13, item 15)."""

from __future__ import annotations

from typing import Any

from workflow_model import load, steps, uses

WORKFLOW = load("deploy.yml")
BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"


def _index(job_steps: list[dict[str, Any]], needle: str) -> int:
    (found,) = [i for i, s in enumerate(job_steps) if needle in s.get("run", "")]
    return found


def test_every_rollout_first_applies_the_checked_bundle() -> None:
    deploys = {n: j for n, j in WORKFLOW["jobs"].items() if "rollout deploy" in str(j)}
    assert set(deploys) == {"deploy-staging", "deploy-prod"}
    for name, job in deploys.items():
        job_steps = steps(job)
        render = _index(job_steps, "infra/scripts/rds_ca.py")
        assert BUNDLE_URL in job_steps[render]["run"]
        output = job_steps[render]["run"].split("> ")[-1].strip()
        apply = _index(job_steps, "apply --server-side")
        assert output in job_steps[apply]["run"]
        kubeconfig = _index(job_steps, "update-kubeconfig")
        rollout = _index(job_steps, "rollout deploy")
        credentials = next(
            i for i, s in enumerate(job_steps) if uses(s, "aws-actions/configure-aws-credentials")
        )
        # Fetched and checked with no credentials around; applied before the pods need it.
        assert render < credentials < kubeconfig < apply < rollout, name
        # The namespace the service layer renders (the overlays name none), read from the contract.
        assert '-n "$NS" ' in job_steps[apply]["run"]
        names = _index(job_steps, "kitcore.contract get kubernetes.namespace")
        assert names < apply, name
