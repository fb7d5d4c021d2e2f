"""The dev overlay with its git-ignored secrets files filled in (test-only values), per test.

The fake cluster itself (fake_cluster) comes from tests/rollout/conftest.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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
