"""Rollout targets: where the colours run (local stack now, Kubernetes later)."""

from __future__ import annotations

from pathlib import Path

from rollout.targets.base import Target, TargetNotImplemented

TARGETS = ("local", "k8s")


def get_target(name: str, repo_root: Path) -> Target:
    """Build the named target; k8s is accepted but not implemented yet."""
    if name == "local":
        from rollout.targets.local import LocalTarget  # keep CLI start-up light

        return LocalTarget(repo_root)
    if name == "k8s":
        raise TargetNotImplemented("the k8s target is not implemented yet (use --target local)")
    raise TargetNotImplemented(f"unknown target {name!r} (choose from {', '.join(TARGETS)})")
