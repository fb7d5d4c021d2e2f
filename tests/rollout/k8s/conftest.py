"""The dev overlay with its secrets filled in, the fake cluster's verdicts and public route.

The fake cluster itself (fake_cluster) comes from tests/rollout/conftest.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from k8s_outcomes_harness import IMAGES, Verdicts, public_route

from tests.support.fakecluster.cluster import FakeCluster

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def overlay(tmp_path: Path) -> Path:
    """A copy of k8s/ whose dev overlay has its git-ignored secrets.env (test-only values)."""
    root = tmp_path / "repo" / "k8s"
    shutil.copytree(
        REPO_ROOT / "k8s", root, ignore=shutil.ignore_patterns("secrets.env", "migrate-secrets.env")
    )
    example = (root / "overlays/dev/secrets.env.example").read_text()
    (root / "overlays/dev/secrets.env").write_text(
        example.replace("SECRET_KEY=\n", "SECRET_KEY=test-only-not-a-real-secret-key-0123456789\n")
    )
    (root / "overlays/dev/migrate-secrets.env").write_text(
        (root / "overlays/dev/migrate-secrets.env.example").read_text()
    )
    return root / "overlays" / "dev"


@pytest.fixture
def verdicts(fake_cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch) -> Verdicts:
    """The gate and pod-check stand-ins, the cluster seeded with v0 serving on blue."""
    with fake_cluster.world() as world:
        world.data["versions"].update({image: v for v, image in IMAGES.items()})
    judge = Verdicts(fake_cluster)
    monkeypatch.setattr("rollout.targets.k8s.run_testinfra", judge.testinfra)
    return judge


@pytest.fixture
def public(fake_cluster: FakeCluster) -> Iterator[str]:
    """The cluster's public route (a port-forward to the active Service) for one test."""
    with public_route(fake_cluster) as url:
        yield url
