"""Rollout targets: where the colours run. The one place that picks a target by its name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kitcore.contract import Contract
from rollout.targets.base import Target

TARGETS = ("local", "k8s")


def build_target(name: str, contract: Contract, options: Mapping[str, Any]) -> Target:
    """Build the named target for the service (options: the CLI's target settings)."""
    if name == "k8s":
        from rollout.kube.config import K8sConfig  # keep CLI start-up light
        from rollout.targets.k8s import K8sTarget

        return K8sTarget(contract, K8sConfig.from_options(options))
    if name == "local":
        from rollout.targets.local import LocalTarget

        return LocalTarget(contract)
    raise ValueError(f"unknown target {name!r} (choose from {', '.join(TARGETS)})")
