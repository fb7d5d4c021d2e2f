"""How the Kubernetes target reaches a cluster: context, namespace, overlay, routes, timeouts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollout.kube.kubectl import default_binary
from rollout.kube.lease import LEASE_S
from rollout.kube.render import overlay_path


@dataclass(frozen=True)
class K8sConfig:
    """Where and how: cluster context, namespace, overlay, routes and timeouts."""

    overlay: Path | None = None
    namespace: str | None = None  # None: the contract's
    context: str | None = None
    kubectl: str = field(default_factory=default_binary)
    public_url: str | None = None
    ca_cert: Path | None = None
    rollout_timeout_s: float = 600
    migrate_timeout_s: float = 660  # the Job's own activeDeadlineSeconds (600) plus scheduling
    settle_timeout_s: float = 120  # old pods: preStop 10s + graceful drain 30s, then gone
    switch_timeout_s: float = 60
    poll_s: float = 2.0
    lease_s: int = LEASE_S  # a dead deployer's lock expires after this
    gate_image: str | None = None  # the gate image (Dockerfile.gate): gates run as a Job
    gate_from_here: bool = False  # laptops: locust on this machine through a port-forward

    @classmethod
    def from_options(cls, opts: Mapping[str, Any]) -> K8sConfig:
        """Build from CLI options (argparse names); unknown or empty ones keep the defaults."""
        overlay = opts.get("overlay")
        ca = opts.get("ca_cert")
        return cls(
            overlay=overlay_path(overlay) if overlay else None,
            namespace=opts.get("namespace") or None,
            context=opts.get("context") or None,
            kubectl=opts.get("kubectl") or default_binary(),
            public_url=opts.get("public_url") or None,
            ca_cert=Path(ca) if ca else None,
            rollout_timeout_s=float(opts.get("rollout_timeout") or 600),
            gate_image=opts.get("gate_image") or None,
            gate_from_here=bool(opts.get("gate_from_here")),
        )
