"""Rollout targets: where the colours run. The one place that picks a target by its name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rollout.targets.base import Target

TARGETS = ("local", "k8s")


def build_target(name: str, options: Mapping[str, Any]) -> Target:
    """Build the named target (options: the CLI's target settings)."""
    if name == "k8s":
        from rollout.targets.k8s import K8sConfig, K8sTarget  # keep CLI start-up light

        return K8sTarget(K8sConfig.from_options(options))
    if name == "local":
        from rollout.targets.local import LocalTarget

        return LocalTarget()
    raise ValueError(f"unknown target {name!r} (choose from {', '.join(TARGETS)})")
