"""Where the k8s target's gates run: a Job with --gate-image, this machine only with
--gate-from-here, and never a guess: without either, the deploy stops before traffic moves."""

from __future__ import annotations

import dataclasses
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from k8s_outcomes_harness import IMAGES, Verdicts, deploy, target

from rollout.exitcodes import Exit
from rollout.targets.k8s import K8sTarget
from rollout.verify.gates import GateConfig
from rollout.verify.loadrun import LoadResult
from tests.support.contract import REFERENCE
from tests.support.fakecluster.cluster import FakeCluster

V0 = IMAGES["v0"]


def with_config(k8s: K8sTarget, **changes: Any) -> K8sTarget:
    k8s.cfg = dataclasses.replace(k8s.cfg, **changes)
    return k8s


def test_without_a_gate_image_the_deploy_stops_before_traffic_moves(
    fake_cluster: FakeCluster, overlay: Path, public: str, verdicts: Verdicts, tmp_path: Path
) -> None:
    k8s = with_config(target(fake_cluster, overlay, public), gate_image=None)
    outcome = deploy(k8s, tmp_path, "v1")
    k8s.close()
    assert outcome.code != Exit.PROMOTED
    assert "pass --gate-image" in outcome.reason
    assert fake_cluster.ever_served() == {V0}
    assert fake_cluster.gate_runs() == []


def test_gate_from_here_measures_the_preview_through_a_port_forward(
    fake_cluster: FakeCluster, overlay: Path, public: str, verdicts: Verdicts, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    seen: list[tuple[str, str]] = []

    def locust_here(cfg: GateConfig, url: str, *_: Any, **__: Any) -> LoadResult:
        """What answers at the URL locust would load (the stand-in for a local locust)."""
        field = REFERENCE.health.version_field
        with urllib.request.urlopen(url + REFERENCE.health.identity, timeout=5) as resp:  # noqa: S310
            seen.append((cfg.name, json.loads(resp.read())[field]))
        return LoadResult(cfg.name, True, [], {"num_requests": 600})

    monkeypatch.setattr("rollout.verify.loadrun.run_gate", locust_here)
    k8s = with_config(target(fake_cluster, overlay, public), gate_image=None, gate_from_here=True)
    outcome = deploy(k8s, tmp_path, "v1")
    k8s.close()
    assert outcome.code == Exit.PROMOTED, outcome.reason
    assert seen == [("pre_switch", "v1"), ("post_switch", "v1")]
    assert fake_cluster.gate_runs() == []  # no Job: the load came from this machine
