"""The Kubernetes target: colours are two Deployments behind the active and preview Services.

Names come from the contract ([kubernetes] prefix: <prefix>-blue, <prefix>-green,
<prefix>-active, <prefix>-preview, <prefix>-worker, <prefix>-migrate). The same flow as locally,
through kubectl only (rollout.kube): the idle Deployment's image set and scaled up, the
per-release migration Job, testinfra on an idle pod, smoke through a port-forward to the
preview Service, the locust gates as Jobs in the namespace (k8s_load.py), the switch by the
committed selector patches (confirmed on the active Service's endpoints), and scaling the
old colour to 0 (its HPA pauses there).
"""

from __future__ import annotations

import atexit
from pathlib import Path

from kitcore import probe
from kitcore.colours import COLOURS, other
from kitcore.contract import Contract
from kitcore.migrations import pending_revisions, script_heads
from kitcore.paths import KIT_ROOT
from kitcore.release import Release, ReleaseError
from rollout.errors import TargetError
from rollout.kube import Kubectl, PortForward, metrics
from rollout.kube.apply import SWITCH_MANAGER, colour_objects, server_side_apply, worker_objects
from rollout.kube.config import K8sConfig
from rollout.kube.images import image_tag
from rollout.kube.migrate import database_heads, render_job, run_job
from rollout.kube.objects import Obj, container, name_of, pod_ready, replicas, selector_colour
from rollout.kube.overlay import overlay_public_url
from rollout.kube.overview import WEB, colour_rows, pod_rows
from rollout.kube.render import RenderError, render_overlay
from rollout.kube.store import ClusterStore
from rollout.kube.waits import diagnose, wait_endpoints, wait_settled
from rollout.store import Store
from rollout.targets import k8s_load
from rollout.targets.base import LoadRequest, ReleaseRequest, TargetStatus
from rollout.verify.loadrun import LoadResult
from rollout.verify.smoke import smoke
from rollout.verify.testinfra import POD_CHECKS, PodSpec, run_testinfra, service_facts
from rollout.verify.verdict import Verdict


class K8sTarget:
    """Blue-green on a cluster through kubectl (context and namespace fixed per target)."""

    name = "k8s"

    def __init__(self, contract: Contract, cfg: K8sConfig) -> None:
        self.contract, self.cfg = contract, cfg
        self.environment = cfg.overlay.name if cfg.overlay else "local"
        namespace = cfg.namespace or contract.kubernetes.namespace
        self.kubectl = Kubectl(namespace, cfg.context, cfg.kubectl)
        self.container = contract.kubernetes.container
        self.active_svc, self.preview_svc = (
            contract.k8s_name("active"),
            contract.k8s_name("preview"),
        )
        self.preview = PortForward(self.kubectl, f"service/{self.preview_svc}", 80)
        self._docs: list[Obj] | None = None
        atexit.register(self.close)  # never leave a port-forward behind

    def store(self) -> Store:
        """The state (ConfigMap) and lock (Lease) in the service's namespace."""
        return ClusterStore(self.kubectl, self.contract.kubernetes.prefix, self.cfg.lease_s)

    def make_release(self, request: ReleaseRequest, releases_dir: Path) -> Release:
        """An image by digest or tag, with the checkout its migrations are judged from."""
        if not request.image:
            raise ReleaseError("--image is required with --target k8s (repo@sha256:... or tag)")
        if self.cfg.overlay is None:
            raise ReleaseError(
                "--overlay is required with --target k8s (dev, staging, prod or a path)"
            )
        version = request.version or image_tag(request.image)
        if not version:
            raise ReleaseError("--version is required for an image by digest (its APP_VERSION)")
        return Release(version, (request.release_dir or KIT_ROOT).resolve(), request.image)

    # -- reading the cluster -------------------------------------------------------------------
    def _services(self) -> dict[str, Obj]:
        names = (self.active_svc, self.preview_svc)
        found = {name_of(s): s for s in self.kubectl.get("service", *names)}
        if set(found) != set(names):
            where = self.kubectl.namespace
            raise TargetError(f"services {names[0]}/{names[1]} missing in {where}")
        return found

    def _deployment(self, colour: str) -> Obj:
        name = self.contract.k8s_name(colour)
        found = self.kubectl.get_one("deployment", name)
        if found is None:
            raise TargetError(f"deployment {name} missing in {self.kubectl.namespace}")
        return found

    def _selector(self, colour: str) -> str:
        return f"{WEB},color={colour}"

    def _idle_pod(self, colour: str, image: str | None) -> Obj:
        """Return a Ready pod of the colour running the image (None: any image)."""
        for pod in self.kubectl.get("pods", selector=self._selector(colour)):
            running = container(pod, self.container).get("image")
            if pod_ready(pod) and (image is None or running == image):
                return pod
        raise TargetError(f"no Ready pod of {colour} runs {image or 'any image'}")

    # -- Target interface ----------------------------------------------------------------------
    def ensure_ready(self) -> None:
        """Check the cluster answers; give the Services their colours after a first install
        (the manifests leave `color` to the switch), or repair a half-done switch's preview."""
        services = self._services()
        active = selector_colour(services[self.active_svc])
        if active is None:
            active = "blue"  # first install: blue serves first, as documented
            self._patch(self.active_svc, active)
        if active not in COLOURS:
            raise TargetError(f"{self.active_svc} selects color={active!r}, not blue or green")
        if selector_colour(services[self.preview_svc]) != other(active):
            self._patch(self.preview_svc, other(active))

    def active_colour(self) -> str:
        """Return the colour the active Service's selector names."""
        colour = selector_colour(self.kubectl.get_one("service", self.active_svc) or {})
        if colour not in COLOURS:
            raise TargetError(f"{self.active_svc} selects color={colour!r}, not blue or green")
        return str(colour)

    def running(self, colour: str) -> bool:
        """Tell whether the colour's Deployment is scaled up."""
        return replicas(self._deployment(colour)) > 0

    def release_of(self, colour: str) -> Release | None:
        """Return the image the colour's Deployment runs (version from its tag, if any)."""
        image = container(self._deployment(colour), self.container).get("image")
        return Release(image_tag(image) or "", KIT_ROOT, image) if image else None

    def start(self, colour: str, release: Release) -> None:
        """Apply the colour's rendered objects with the image, scale up from 0, wait."""
        if not release.image:
            raise TargetError("the k8s target needs an image (--image)")
        deployment = f"deployment/{self.contract.k8s_name(colour)}"
        wanted = max(replicas(self._deployment(other(colour))), 1)
        # Config, resources and probes roll out with the image, through the same gates.
        server_side_apply(
            self.kubectl, colour_objects(self._rendered(), self.contract, colour, release.image)
        )
        if replicas(self._deployment(colour)) == 0:
            # Back from 0, its HPA (paused at 0 replicas) resumes by itself.
            self.kubectl.run("scale", deployment, f"--replicas={wanted}")
        timeout = self.cfg.rollout_timeout_s
        res = self.kubectl.run(
            "rollout", "status", deployment, f"--timeout={timeout:.0f}s",
            timeout=timeout + 30, check=False,
        )  # fmt: skip
        if res.returncode != 0:
            raise TargetError(
                f"{deployment} did not roll out within {timeout:.0f}s: {res.stderr.strip()[-300:]}"
                + diagnose(self.kubectl, self._selector(colour))
            )
        wait_settled(
            self.kubectl, self._selector(colour), self.container, release.image,
            self.cfg.settle_timeout_s, self.cfg.poll_s,
        )  # fmt: skip
        if release.version:
            expected = probe.Identity(release.version, colour)
            try:
                probe.wait_for(self.preview_url(), self.contract.health, expected, 0)
            except probe.ProbeError as exc:
                env = self.contract.serve.version_env
                raise TargetError(
                    f"{exc}: pass --version = the {env} baked into the image"
                ) from exc

    def pending_migrations(self, release: Release) -> list[Path]:
        """Compare the database's heads (read in an idle pod) with the release's scripts."""
        migrate = self.contract.migrate
        scripts = self.contract.release_revisions(release.source_dir)
        if migrate is None or scripts is None:
            return []
        pod = name_of(self._idle_pod(other(self.active_colour()), release.image))
        db_heads, image_heads = database_heads(self.kubectl, pod, self.container, migrate.command)
        source_heads = script_heads(scripts)
        if sorted(image_heads) != source_heads:
            raise TargetError(
                f"the image's migration heads {image_heads} differ from {scripts} "
                f"({source_heads}): deploy from the commit the image was built from"
            )
        return pending_revisions(scripts, tuple(db_heads))

    def migrate(self, release: Release) -> None:
        """Render the service's Job as <prefix>-migrate-<digest12>, run it once, wait for it."""
        if self.cfg.overlay is None or not release.image:
            raise TargetError("migrations need --overlay and --image")
        job = render_job(self.kubectl, self.contract, self.cfg.overlay, release.image)
        run_job(self.kubectl, job, self.cfg.migrate_timeout_s, self.cfg.poll_s)

    def verify(self, colour: str, release: Release, out_dir: Path) -> Verdict:
        """testinfra on one idle pod, then smoke checks through the preview Service."""
        deployment = self._deployment(colour)
        app = container(deployment, self.container)
        security = deployment["spec"]["template"]["spec"].get("securityContext", {})
        spec = PodSpec(
            colour=colour,
            version=release.version,
            uid=int(app.get("securityContext", {}).get("runAsUser") or security["runAsUser"]),
            port=int(app["ports"][0]["containerPort"]),
            service=service_facts(self.contract),
        )
        pod = name_of(self._idle_pod(colour, release.image))
        binary_dir = str(Path(self.cfg.kubectl).parent) if "/" in self.cfg.kubectl else None
        host = self.kubectl.host_url(pod, self.container)
        checks = run_testinfra(POD_CHECKS, host, spec, out_dir, binary_dir)
        return Verdict.combine("verify", [checks, self.smoke(colour, release.version)])

    def smoke(self, colour: str, version: str | None) -> Verdict:
        """Smoke checks through the preview Service, in-cluster, where metrics are served."""
        url = self.preview_url()
        return smoke(self.contract, url, colour, version or None, None, metrics_served=True)

    def public_url(self) -> str:
        """Return the public route (--public-url, else https://APP_DOMAIN of the overlay)."""
        if self.cfg.public_url:
            return self.cfg.public_url.rstrip("/")
        return overlay_public_url(self.cfg.overlay)

    def preview_url(self) -> str:
        """Return the local end of a live port-forward to the preview Service (the idle colour)."""
        return self.preview.url()

    def ca_cert(self) -> Path | None:
        """Return the CA for the public route (--ca-cert), None for publicly trusted ones."""
        return self.cfg.ca_cert

    def run_load(self, request: LoadRequest) -> LoadResult:
        """Run the gate as a Job against the route's Service (k8s_load.py)."""
        return k8s_load.run_load(self, self.cfg, self.kubectl, request)

    def observe(self, colour: str, since: float) -> metrics.Observer:
        """Scrape the colour's pods' metrics from now on (rollout/kube/metrics.py)."""
        return metrics.observer(self.kubectl, colour, self._selector(colour), self.contract)

    def switch(self, colour: str) -> None:
        """Patch active then preview; return once the active endpoints are all the colour's."""
        self.preview.stop()  # it resolved a pod of the other colour: stale after the patch
        self._patch(self.active_svc, colour)
        self._patch(self.preview_svc, other(colour))
        if self.active_colour() != colour:
            raise TargetError(f"{self.active_svc} does not select {colour} after the patch")
        timeout = self.cfg.switch_timeout_s
        prefix = f"{self.contract.k8s_name(colour)}-"
        wait_endpoints(self.kubectl, self.active_svc, colour, prefix, timeout, self.cfg.poll_s)

    def _patch(self, service: str, colour: str) -> None:
        """Point a Service's selector at a colour: the one field the switch owns."""
        patch = KIT_ROOT / "k8s" / "patches" / f"switch-to-{colour}.patch.yaml"
        self.kubectl.run(
            "patch", "service", service, "--type", "merge", "--patch-file", str(patch),
            f"--field-manager={SWITCH_MANAGER}",
        )  # fmt: skip

    def _rendered(self) -> list[Obj]:
        """The overlay rendered with the service layer (once per target)."""
        if self._docs is None:
            if self.cfg.overlay is None:
                raise TargetError("this needs --overlay (dev, staging, prod or a path)")
            try:
                self._docs = render_overlay(self.contract, self.cfg.overlay, self.kubectl.binary)
            except RenderError as exc:
                raise TargetError(str(exc)) from None
        return self._docs

    def stop(self, colour: str) -> None:
        """Scale the colour to 0 (its HPA pauses at 0); the worker follows the serving image."""
        self.preview.stop()
        active = self.active_colour()
        if colour == active:
            raise TargetError(f"refusing to scale down {colour}: {self.active_svc} selects it")
        self.kubectl.run("scale", f"deployment/{self.contract.k8s_name(colour)}", "--replicas=0")
        serving = container(self._deployment(active), self.container)["image"]
        worker = worker_objects(self._rendered(), self.contract, serving)
        if worker:  # the worker runs the promoted release, with its config
            server_side_apply(self.kubectl, worker)
            worker_name = self.contract.k8s_name("worker")
            timeout = self.cfg.rollout_timeout_s
            self.kubectl.run(
                "rollout", "status", f"deployment/{worker_name}", f"--timeout={timeout:.0f}s",
                timeout=timeout + 30,
            )  # fmt: skip

    def status(self) -> TargetStatus:
        """Read Services, web Deployments, HPAs and pods."""
        active = selector_colour(self._services()[self.active_svc])
        colours = colour_rows(self.kubectl, self.contract)
        return TargetStatus(active, colours, pod_rows(self.kubectl, self.contract))

    def close(self) -> None:
        """Stop the port-forward (also at interpreter exit)."""
        self.preview.stop()
