"""checkov (kubernetes, kustomize) finds nothing in any overlay beyond the documented skips."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from k8s_harness import K8S, OVERLAYS

CHECKOV = ("uv", "tool", "run", "--from", "checkov==3.2.459", "checkov")


def config_for(root: Path, overlay: str) -> Path:
    """Return the checkov config an overlay is checked with (its own, or k8s/.checkov.yaml)."""
    own = root / "overlays" / overlay / ".checkov.yaml"
    return own if own.exists() else root / ".checkov.yaml"


@pytest.fixture(scope="module")
def checkov_results(k8s_root: Path) -> dict[str, list[dict[str, Any]]]:
    """Run checkov once per overlay, all three at once (it is slow), and parse its JSON."""
    assert shutil.which("uv"), "uv is needed to run checkov (uv tool run)"
    procs = {
        overlay: subprocess.Popen(
            [
                *CHECKOV,
                "--config-file",
                str(config_for(k8s_root, overlay)),
                "-o",
                "json",
                "-d",
                str(k8s_root / "overlays" / overlay),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for overlay in OVERLAYS
    }
    results = {}
    for overlay, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert out.strip(), f"checkov printed nothing for {overlay}: {err}"
        parsed = json.loads(out)
        results[overlay] = parsed if isinstance(parsed, list) else [parsed]
        results[overlay].append({"returncode": proc.returncode})
    return results


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_checkov_passes(checkov_results: dict[str, list[dict[str, Any]]], overlay: str) -> None:
    reports = [r for r in checkov_results[overlay] if "check_type" in r]
    kustomize = [r for r in reports if r["check_type"] == "kustomize"]
    assert kustomize, "checkov must render and scan the overlay"
    assert kustomize[0]["summary"]["resource_count"] > 20
    assert kustomize[0]["summary"]["passed"] > 300
    failed = [
        f"{c['check_id']} {c['resource']}" for r in reports for c in r["results"]["failed_checks"]
    ]
    assert not failed
    assert all(r["summary"]["parsing_errors"] == 0 for r in reports)
    assert checkov_results[overlay][-1]["returncode"] == 0


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
