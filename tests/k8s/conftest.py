"""Fixtures: every overlay rendered once per session from a private copy of k8s/."""

from __future__ import annotations

from pathlib import Path

import pytest
from k8s_harness import OVERLAYS, Doc, build, copy_k8s


@pytest.fixture(scope="session")
def k8s_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a copy of k8s/ whose dev overlay has a secrets.env (git-ignored in the repo)."""
    return copy_k8s(tmp_path_factory.mktemp("k8s"))


@pytest.fixture(scope="session")
def rendered(k8s_root: Path) -> dict[str, list[Doc]]:
    """Return the rendered objects of every overlay."""
    return {overlay: build(k8s_root, overlay) for overlay in OVERLAYS}
