"""checkov (kubernetes, kustomize) finds nothing in any rendered overlay beyond the documented
skips, for every contract."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from checkov_runs import CheckovRuns, config_for
from k8s_harness import CONTRACTS, K8S, OVERLAYS


@pytest.mark.parametrize("key", sorted(CONTRACTS))
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_checkov_passes(checkov_runs: CheckovRuns, key: str, overlay: str) -> None:
    returncode, reports, stderr = checkov_runs.result(key, overlay)
    kustomize = [r for r in reports if r.get("check_type") == "kustomize"]
    assert kustomize, f"checkov must render and scan the service layer: {stderr}"
    assert kustomize[0]["summary"]["resource_count"] > 20
    # It really checked the workloads: about 300 checks pass, 30 fewer without a worker.
    assert kustomize[0]["summary"]["passed"] > 250
    failed = [
        f"{c['check_id']} {c['resource']}" for r in reports for c in r["results"]["failed_checks"]
    ]
    assert not failed
    assert all(r["summary"]["parsing_errors"] == 0 for r in reports)
    assert returncode == 0, stderr


@pytest.mark.parametrize(
    "config", [K8S / ".checkov.yaml", *sorted(K8S.glob("overlays/*/.checkov.yaml"))]
)
def test_every_skip_is_justified(config: Path) -> None:
    text = config.read_text()
    skips = yaml.safe_load(text)["skip-check"]
    assert skips, "a config file without skips is not needed"
    for check in skips:
        assert re.search(rf"#\s*{check}\b.*\S", text), f"{check} has no reason"


def test_staging_and_prod_use_the_strict_config() -> None:
    assert config_for(K8S, "staging") == config_for(K8S, "prod") == K8S / ".checkov.yaml"
    assert yaml.safe_load((K8S / ".checkov.yaml").read_text())["skip-check"] == ["CKV_K8S_35"]
