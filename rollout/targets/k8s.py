"""The Kubernetes target: colours are the Deployments app-blue/app-green behind two Services.

The same flow as locally, through kubectl only (rollout.kube): the idle Deployment's image set
and scaled up, the per-release migration Job, testinfra on an idle pod, smoke and locust through
a port-forward to app-preview, the switch by the committed selector patches (confirmed on
app-active's endpoints), and scaling the old colour to 0 (its HPA pauses there).
"""

from __future__ import annotations

import atexit
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kitcore import probe
from kitcore.colours import COLOURS, other
from kitcore.migrations import pending_revisions, script_heads
from kitcore.paths import KIT_ROOT
from kitcore.release import Release, ReleaseError
from rollout.errors import TargetError
from rollout.kube import Kubectl, PortForward
from rollout.kube.images import image_tag
from rollout.kube.kubectl import default_binary
from rollout.kube.migrate import database_heads, render_job, run_job
from rollout.kube.objects import Obj, container, name_of, pod_ready, replicas, selector_colour
from rollout.kube.overlay import overlay_public_url
from rollout.kube.waits import diagnose, wait_endpoints, wait_settled
from rollout.targets.base import ReleaseRequest, TargetStatus
from rollout.verify.smoke import smoke
from rollout.verify.testinfra import POD_CHECKS, PodSpec, run_testinfra
from rollout.verify.verdict import Verdict

APP = "app"
WEB = "app.kubernetes.io/component=web"
MIGRATIONS = Path("app") / "migrations"


@dataclass(frozen=True)
class K8sConfig:
    """Where and how: cluster context, namespace, overlay, routes and timeouts."""

    overlay: Path | None = None
    namespace: str = "flask-kit"
    context: str | None = None
    kubectl: str = field(default_factory=default_binary)
    public_url: str | None = None
    ca_cert: Path | None = None
    rollout_timeout_s: float = 600
    migrate_timeout_s: float = 660  # the Job's own activeDeadlineSeconds (600) plus scheduling
    settle_timeout_s: float = 120  # old pods: preStop 10s + graceful drain 30s, then gone
    switch_timeout_s: float = 60
    poll_s: float = 2.0

    @classmethod
    def from_options(cls, opts: Mapping[str, Any]) -> K8sConfig:
        """Build from CLI options (argparse names); unknown or empty ones keep the defaults."""
        overlay = opts.get("overlay")
        if overlay and "/" not in str(overlay):
            overlay = KIT_ROOT / "k8s" / "overlays" / str(overlay)  # a name: dev|staging|prod
        ca = opts.get("ca_cert")
        return cls(
            overlay=Path(overlay) if overlay else None,
            namespace=opts.get("namespace") or "flask-kit",
            context=opts.get("context") or None,
            kubectl=opts.get("kubectl") or default_binary(),
            public_url=opts.get("public_url") or None,
            ca_cert=Path(ca) if ca else None,
            rollout_timeout_s=float(opts.get("rollout_timeout") or 600),
        )


class K8sTarget:
    """Blue-green on a cluster through kubectl (context and namespace fixed per target)."""

    name = "k8s"

    def __init__(self, cfg: K8sConfig) -> None:
        self.cfg = cfg
        self.kubectl = Kubectl(cfg.namespace, cfg.context, cfg.kubectl)
        self.preview = PortForward(self.kubectl, "service/app-preview", 80)
        atexit.register(self.close)  # never leave a port-forward behind

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
        found = {name_of(s): s for s in self.kubectl.get("service", "app-active", "app-preview")}
        if set(found) != {"app-active", "app-preview"}:
            raise TargetError(f"services app-active/app-preview missing in {self.cfg.namespace}")
        return found

    def _deployment(self, colour: str) -> Obj:
        found = self.kubectl.get_one("deployment", f"{APP}-{colour}")
        if found is None:
            raise TargetError(f"deployment {APP}-{colour} missing in {self.cfg.namespace}")
        return found

    def _idle_pod(self, colour: str, image: str | None) -> Obj:
        """Return a Ready pod of the colour running the image (None: any image)."""
        for pod in self.kubectl.get("pods", selector=f"{WEB},color={colour}"):
            if pod_ready(pod) and (image is None or container(pod, APP).get("image") == image):
                return pod
        raise TargetError(f"no Ready pod of {colour} runs {image or 'any image'}")

    # -- Target interface ----------------------------------------------------------------------
    def ensure_ready(self) -> None:
        """Check the cluster answers; repair app-preview if a half-done switch left it active."""
        services = self._services()
        active = selector_colour(services["app-active"])
        if active not in COLOURS:
            raise TargetError(f"app-active selects color={active!r}, not blue or green")
        if selector_colour(services["app-preview"]) != other(active):
            self._patch("app-preview", other(active))

    def active_colour(self) -> str:
        """Return the colour app-active's selector names."""
        colour = selector_colour(self.kubectl.get_one("service", "app-active") or {})
        if colour not in COLOURS:
            raise TargetError(f"app-active selects color={colour!r}, not blue or green")
        return str(colour)

    def running(self, colour: str) -> bool:
        """Tell whether the colour's Deployment is scaled up."""
        return replicas(self._deployment(colour)) > 0

    def release_of(self, colour: str) -> Release | None:
        """Return the image the colour's Deployment runs (version from its tag, if any)."""
        image = container(self._deployment(colour), APP).get("image")
        return Release(image_tag(image) or "", KIT_ROOT, image) if image else None

    def start(self, colour: str, release: Release) -> None:
        """Set the image, scale up from 0, wait for the rollout and for old pods to be gone."""
        if not release.image:
            raise TargetError("the k8s target needs an image (--image)")
        deployment = f"deployment/{APP}-{colour}"
        wanted = max(replicas(self._deployment(other(colour))), 1)
        self.kubectl.run("set", "image", deployment, f"{APP}={release.image}")
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
                + diagnose(self.kubectl, f"{WEB},color={colour}")
            )
        selector = f"{WEB},color={colour}"
        wait_settled(
            self.kubectl, selector, APP, release.image, self.cfg.settle_timeout_s, self.cfg.poll_s
        )
        if release.version:
            try:
                probe.wait_for(self.preview_url(), probe.Identity(release.version, colour), 0)
            except probe.ProbeError as exc:
                raise TargetError(
                    f"{exc}: pass --version = the APP_VERSION baked into the image"
                ) from exc

    def pending_migrations(self, release: Release) -> list[Path]:
        """Compare the database's heads (read in an idle pod) with the release's scripts."""
        pod = name_of(self._idle_pod(other(self.active_colour()), release.image))
        db_heads, image_heads = database_heads(self.kubectl, pod, APP)
        scripts = release.source_dir / MIGRATIONS
        source_heads = script_heads(scripts)
        if sorted(image_heads) != source_heads:
            raise TargetError(
                f"the image's migration heads {image_heads} differ from {scripts} "
                f"({source_heads}): deploy from the commit the image was built from"
            )
        return pending_revisions(scripts, tuple(db_heads))

    def migrate(self, release: Release) -> None:
        """Render the overlay's Job as app-migrate-<digest12>, run it once, wait for it."""
        if self.cfg.overlay is None or not release.image:
            raise TargetError("migrations need --overlay and --image")
        job = render_job(self.kubectl, self.cfg.overlay, release.image)
        run_job(self.kubectl, job, self.cfg.migrate_timeout_s, self.cfg.poll_s)

    def verify(self, colour: str, release: Release, out_dir: Path) -> Verdict:
        """testinfra on one idle pod, then smoke checks through app-preview."""
        deployment = self._deployment(colour)
        app = container(deployment, APP)
        security = deployment["spec"]["template"]["spec"].get("securityContext", {})
        spec = PodSpec(
            colour=colour,
            version=release.version,
            uid=int(app.get("securityContext", {}).get("runAsUser") or security["runAsUser"]),
            port=int(app["ports"][0]["containerPort"]),
        )
        pod = name_of(self._idle_pod(colour, release.image))
        binary_dir = str(Path(self.cfg.kubectl).parent) if "/" in self.cfg.kubectl else None
        checks = run_testinfra(
            POD_CHECKS, self.kubectl.host_url(pod, APP), spec, out_dir, binary_dir
        )
        return Verdict.combine("verify", [checks, self.smoke(colour, release.version)])

    def smoke(self, colour: str, version: str | None) -> Verdict:
        """Smoke checks through app-preview, the in-cluster route, where /metrics is served."""
        return smoke(self.preview_url(), colour, version or None, None, metrics_served=True)

    def public_url(self) -> str:
        """Return the public route (--public-url, else https://APP_DOMAIN of the overlay)."""
        if self.cfg.public_url:
            return self.cfg.public_url.rstrip("/")
        return overlay_public_url(self.cfg.overlay)

    def preview_url(self) -> str:
        """Return the local end of a live port-forward to app-preview (the idle colour)."""
        return self.preview.url()

    def ca_cert(self) -> Path | None:
        """Return the CA for the public route (--ca-cert), None for publicly trusted ones."""
        return self.cfg.ca_cert

    def switch(self, colour: str) -> None:
        """Patch app-active then app-preview; return once app-active's endpoints are all colour."""
        self.preview.stop()  # it resolved a pod of the other colour: stale after the patch
        self._patch("app-active", colour)
        self._patch("app-preview", other(colour))
        if self.active_colour() != colour:
            raise TargetError(f"app-active does not select {colour} after the patch")
        timeout = self.cfg.switch_timeout_s
        prefix = f"{APP}-{colour}-"
        wait_endpoints(self.kubectl, "app-active", colour, prefix, timeout, self.cfg.poll_s)

    def _patch(self, service: str, colour: str) -> None:
        patch = KIT_ROOT / "k8s" / "patches" / f"switch-to-{colour}.patch.yaml"
        self.kubectl.run("patch", "service", service, "--type", "merge", "--patch-file", str(patch))

    def stop(self, colour: str) -> None:
        """Scale the colour to 0 (its HPA pauses at 0); the worker follows the serving image."""
        self.preview.stop()
        active = self.active_colour()
        if colour == active:
            raise TargetError(f"refusing to scale down {colour}: app-active selects it")
        self.kubectl.run("scale", f"deployment/{APP}-{colour}", "--replicas=0")
        serving = container(self._deployment(active), APP)["image"]
        worker = self.kubectl.get_one("deployment", f"{APP}-worker", missing_ok=True)
        if worker is not None and container(worker, "worker").get("image") != serving:
            self.kubectl.run("set", "image", f"deployment/{APP}-worker", f"worker={serving}")
            timeout = self.cfg.rollout_timeout_s
            self.kubectl.run(
                "rollout", "status", f"deployment/{APP}-worker", f"--timeout={timeout:.0f}s",
                timeout=timeout + 30,
            )  # fmt: skip

    def status(self) -> TargetStatus:
        """Read Services, web Deployments, HPAs and pods."""
        services = self._services()
        hpas = {name_of(h): h for h in self.kubectl.get("hpa")}
        colours: dict[str, dict[str, str]] = {}
        for dep in self.kubectl.get("deployment", selector=WEB):
            colour = name_of(dep).removeprefix(f"{APP}-")
            hpa = hpas.get(name_of(dep), {}).get("status", {})
            colours[colour] = {
                "image": str(container(dep, APP).get("image")),
                "replicas": str(replicas(dep)),
                "ready": str(dep.get("status", {}).get("readyReplicas") or 0),
                "hpa": f"{hpa.get('currentReplicas', '-')}/{hpa.get('desiredReplicas', '-')}",
            }
        pods = [
            {"pod": name_of(p), "color": p["metadata"].get("labels", {}).get("color", ""),
             "ready": str(pod_ready(p)), "image": str(container(p, APP).get("image"))}
            for p in self.kubectl.get("pods", selector=WEB)
        ]  # fmt: skip
        return TargetStatus(selector_colour(services["app-active"]), colours, pods)

    def close(self) -> None:
        """Stop the port-forward (also at interpreter exit)."""
        self.preview.stop()
