"""Where the Kubernetes target's gates run: a Job in the app's namespace, or (asked) from here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollout.errors import TargetError
from rollout.kube.gatejob import new_run_id, run_gate_job
from rollout.kube.gatejob_render import GateJobSpec
from rollout.targets.base import LoadRequest, load_from_here
from rollout.verify.loadrun import LoadResult

if TYPE_CHECKING:
    from rollout.targets.k8s import K8sTarget

# The route's Service: the preview Service selects the idle colour, active the public one.
SERVICES = {"preview": "preview", "public": "active"}


def run_load(target: K8sTarget, request: LoadRequest) -> LoadResult:
    """Run the gate as a Job against the route's Service (--gate-image), or from this machine
    through port-forwards when explicitly asked (--gate-from-here); refuse to guess."""
    cfg = target.cfg
    if cfg.gate_from_here:
        return load_from_here(target, request)
    if not cfg.gate_image:
        raise TargetError(
            "the k8s target runs its gates as a Job in the cluster: pass --gate-image "
            "(built from Dockerfile.gate), or --gate-from-here to run locust on this machine"
        )
    spec = GateJobSpec(
        cfg=request.cfg,
        service=SERVICES[request.route],
        image=cfg.gate_image,
        run_id=new_run_id(),
        namespace=target.kubectl.namespace,
    )
    return run_gate_job(target.kubectl, target.contract, spec, request.out_dir, cfg.poll_s)
