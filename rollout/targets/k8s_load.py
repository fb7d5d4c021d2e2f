"""Where the Kubernetes target's gates run: a Job in the app's namespace, or (asked) from here."""

from __future__ import annotations

from rollout.errors import TargetError
from rollout.kube import Kubectl
from rollout.kube.config import K8sConfig
from rollout.kube.gatejob import new_run_id, run_gate_job
from rollout.kube.gatejob_render import GateJobSpec
from rollout.targets.base import LoadRequest, Target, load_from_here
from rollout.verify.loadrun import LoadResult

# The route's Service: the preview Service selects the idle colour, active the public one.
SERVICES = {"preview": "preview", "public": "active"}


def run_load(target: Target, cfg: K8sConfig, kubectl: Kubectl, request: LoadRequest) -> LoadResult:
    """Run the gate as a Job against the route's Service (--gate-image), or from this machine
    through port-forwards when explicitly asked (--gate-from-here); refuse to guess."""
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
        namespace=kubectl.namespace,
    )
    return run_gate_job(kubectl, target.contract, spec, request.out_dir, cfg.poll_s)
