"""Rollout targets: where the colours run (local stack now, Kubernetes later)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rollout.targets.base import Target, TargetNotImplemented

TARGETS = ("local", "k8s")


def get_target(name: str, repo_root: Path, options: Mapping[str, Any] | None = None) -> Target:
    """Build the named target (options: the CLI's k8s settings, ignored by local)."""
    if name == "local":
        from rollout.targets.local import LocalTarget  # keep CLI start-up light

        return LocalTarget(repo_root)
    if name == "k8s":
        from rollout.targets.k8s import K8sConfig, K8sTarget

        return K8sTarget(K8sConfig.from_options(repo_root, options or {}))
    raise TargetNotImplemented(f"unknown target {name!r} (choose from {', '.join(TARGETS)})")
