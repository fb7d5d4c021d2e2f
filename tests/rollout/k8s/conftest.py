"""A simulated cluster behind a recording `kubectl` stand-in (fake_kubectl.py), per test."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from rollout_k8s_harness import FAKE, REPO_ROOT, Cluster, initial_state

from tests.support.kubectl import KUBECTL


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cluster:
    """Put the stand-in first on PATH with a fresh simulated cluster."""
    real = KUBECTL  # offline renders use the pinned client
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    kubectl.chmod(0o755)
    state, log = tmp_path / "cluster.json", tmp_path / "kubectl.log"
    state.write_text(json.dumps(initial_state()))
    log.write_text("")
    monkeypatch.setenv("KUBECTL_FAKE_STATE", str(state))
    monkeypatch.setenv("KUBECTL_FAKE_LOG", str(log))
    monkeypatch.setenv("REAL_KUBECTL", real)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return Cluster(state, log, kubectl)


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
