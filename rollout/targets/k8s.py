"""The Kubernetes target: colours are the Deployments app-blue/app-green behind two Services.

Same flow as the local target, through kubectl only (rollout.kube): set the idle Deployment's
image, `rollout status`, the per-release migration Job, testinfra on an idle pod, smoke and
locust through a port-forward to app-preview, the switch by the committed selector patches
(confirmed on app-active's endpoints), and scaling the old colour to 0 (its HPA pauses there).
"""

from __future__ import annotations

import atexit
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory

from rollout.kube import Kubectl, KubectlError, PortForward
from rollout.kube.checks import PodSpec, run_pod_checks
from rollout.kube.kubectl import default_binary
from rollout.kube.migrate import database_heads, render_job, run_job
from rollout.kube.objects import (
    Obj,
    container,
    endpoint_pods,
    name_of,
    pod_problems,
    pod_ready,
    replicas,
    selector_colour,
)
from rollout.migrations import pending_scripts
from rollout.smoke import smoke
from rollout.targets.base import (
    COLOURS,
    CheckResult,
    Release,
    TargetError,
    TargetStatus,
    other,
)

APP = "app"
WEB = "app.kubernetes.io/component=web"
MIGRATIONS = Path("app") / "migrations"
Checks = Callable[[str, PodSpec, Path, str | None], tuple[bool, list[str], Path]]


@dataclass(frozen=True)
class K8sConfig:
    """Where and how: cluster context, namespace, overlay, routes and timeouts."""

    repo_root: Path
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
    def from_options(cls, repo_root: Path, opts: Mapping[str, Any]) -> K8sConfig:
        """Build from CLI options (argparse names); unknown or empty ones keep the defaults."""
        overlay = opts.get("overlay")
        if overlay and "/" not in str(overlay):
            overlay = repo_root / "k8s" / "overlays" / str(overlay)  # a name: dev|staging|prod
        ca = opts.get("ca_cert")
        return cls(
            repo_root=repo_root,
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

    def __init__(self, cfg: K8sConfig, checks: Checks | None = None) -> None:
        self.cfg = cfg
        self.kubectl = Kubectl(cfg.namespace, cfg.context, cfg.kubectl)
        self.preview = PortForward(self.kubectl, "service/app-preview", 80)
        self.checks = checks or run_pod_checks
        atexit.register(self.close)  # never leave a port-forward behind

    # -- reading the cluster ----------------------------------------------------------------
    def _services(self) -> dict[str, Obj]:
        found = {name_of(s): s for s in self.kubectl.get("service", "app-active", "app-preview")}
        if set(found) != {"app-active", "app-preview"}:
            raise TargetError(f"services app-active/app-preview missing in {self.cfg.namespace}")
        return found

    def _deployment(self, colour: str) -> Obj:
        found = self.kubectl.get_one("deployment", f"{APP}-{colour}")
        assert found is not None
        return found

    def _pods(self, colour: str) -> list[Obj]:
        return self.kubectl.get("pods", selector=f"{WEB},color={colour}")

    def _idle_pod(self, colour: str, image: str | None) -> Obj:
        """Return a Ready pod of the colour running the image (None: any image)."""
        for pod in self._pods(colour):
            if pod_ready(pod) and (image is None or container(pod, APP).get("image") == image):
                return pod
        raise TargetError(f"no Ready pod of {colour} runs {image or 'any image'}")

    # -- Target interface -------------------------------------------------------------------
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
        service = self.kubectl.get_one("service", "app-active")
        colour = selector_colour(service or {})
        if colour not in COLOURS:
            raise TargetError(f"app-active selects color={colour!r}, not blue or green")
        return str(colour)

    def deploy_idle(self, colour: str, release: Release) -> None:
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
                + self._diagnose(colour)
            )
        self._wait_settled(colour, release.image)
        health = self._get_json(self.preview_url() + "/healthz")
        if (health.get("version"), health.get("color")) != (release.version, colour):
            raise TargetError(
                f"app-preview answers {health} but expected version {release.version} on "
                f"{colour}: pass --version = the APP_VERSION baked into the image"
            )

    def _diagnose(self, colour: str) -> str:
        problems = [f"{name_of(p)}: {x}" for p in self._pods(colour) for x in pod_problems(p)]
        return ("; pods: " + "; ".join(problems[:5])) if problems else ""

    def _wait_settled(self, colour: str, image: str) -> None:
        """Wait until every pod of the colour runs the image and none is terminating."""
        deadline = time.monotonic() + self.cfg.settle_timeout_s
        while True:
            pods = self._pods(colour)
            stale = [name_of(p) for p in pods if container(p, APP).get("image") != image]
            unready = [name_of(p) for p in pods if not pod_ready(p)]
            if pods and not stale and not unready:
                return
            if time.monotonic() > deadline:
                raise TargetError(f"{colour} not settled: old {stale}, not ready {unready}")
            time.sleep(self.cfg.poll_s)

    def pending_migrations(self, release: Release) -> list[Path]:
        """Compare the database's Alembic heads (read in an idle pod) with the release's scripts."""
        pod = name_of(self._idle_pod(self._idle(), release.image))
        db_heads, image_heads = database_heads(self.kubectl, pod, APP)
        scripts = release.source_dir / MIGRATIONS
        source_heads = sorted(ScriptDirectory(str(scripts)).get_heads())
        if sorted(image_heads) != source_heads:
            raise TargetError(
                f"the image's migration heads {image_heads} differ from {scripts} "
                f"({source_heads}): deploy from the commit the image was built from"
            )
        return pending_scripts(scripts, tuple(db_heads))

    def migrate(self, release: Release) -> None:
        """Render the overlay's Job as app-migrate-<digest12>, run it once, wait for it."""
        if self.cfg.overlay is None or not release.image:
            raise TargetError("migrations need --overlay and --image")
        job = render_job(self.kubectl, self.cfg.overlay, release.image)
        run_job(self.kubectl, job, self.cfg.migrate_timeout_s, self.cfg.poll_s)

    def verify(self, colour: str, release: Release, out_dir: Path) -> CheckResult:
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
        kubectl_dir = str(Path(self.cfg.kubectl).parent) if "/" in self.cfg.kubectl else None
        passed, failures, junit = self.checks(
            self.kubectl.host_url(pod, APP), spec, out_dir, kubectl_dir
        )
        failures += [f"smoke {f}" for f in in_cluster_smoke(self.preview_url(), colour, release)]
        summary = f"testinfra on {pod} {'passed' if passed else 'failed'}; smoke via app-preview"
        return CheckResult(not failures, summary, failures, [junit, out_dir / "testinfra.txt"])

    def public_url(self) -> str:
        """Return the public route (--public-url, else https://APP_DOMAIN of the overlay)."""
        if self.cfg.public_url:
            return self.cfg.public_url.rstrip("/")
        domain = (
            _env_file(self.cfg.overlay / "infra.env").get("APP_DOMAIN", "")
            if (self.cfg.overlay)
            else ""
        )
        if not domain:
            raise TargetError("no public URL: pass --public-url or an overlay with APP_DOMAIN")
        return f"https://{domain}"

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
        deadline = time.monotonic() + self.cfg.switch_timeout_s
        while True:
            if self.active_colour() != colour:
                raise TargetError(f"app-active does not select {colour} after the patch")
            slices = self.kubectl.get(
                "endpointslices", selector="kubernetes.io/service-name=app-active"
            )
            endpoints = endpoint_pods(slices)
            wrong = [p for p, _ in endpoints if not p.startswith(f"{APP}-{colour}-")]
            ready = [p for p, ok in endpoints if ok and p.startswith(f"{APP}-{colour}-")]
            if ready and not wrong:
                return
            if time.monotonic() > deadline:
                raise TargetError(
                    f"app-active endpoints not all {colour} after {self.cfg.switch_timeout_s:.0f}s:"
                    f" ready {ready}, other {wrong}"
                )
            time.sleep(self.cfg.poll_s)

    def _patch(self, service: str, colour: str) -> None:
        patch = self.cfg.repo_root / "k8s" / "patches" / f"switch-to-{colour}.patch.yaml"
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

    def _idle(self) -> str:
        return other(self.active_colour())

    @staticmethod
    def _get_json(url: str) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - our port-forward
                return dict(json.loads(resp.read()))
        except (OSError, ValueError) as exc:
            raise KubectlError(f"GET {url}: {exc}") from exc


def in_cluster_smoke(url: str, colour: str, release: Release) -> list[str]:
    """Smoke checks through app-preview; in-cluster /metrics must answer (Prometheus scrapes it).

    rollout.smoke expects /metrics to be refused, as it is on the public route; app-preview is
    the in-cluster route, where /metrics is served for Prometheus.
    """
    failures = [f for f in smoke(url, colour, release.version, None) if "/metrics" not in f]
    try:
        with urllib.request.urlopen(url + "/metrics", timeout=5) as resp:  # noqa: S310
            if resp.status != 200 or "text/plain" not in resp.headers.get("Content-Type", ""):
                failures.append(f"GET /metrics: status {resp.status}, not Prometheus text")
    except (OSError, urllib.error.HTTPError) as exc:
        failures.append(f"GET /metrics: {exc}")
    return failures


def _env_file(path: Path) -> dict[str, str]:
    """Read KEY=VALUE lines (the overlay's infra.env)."""
    pairs = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            pairs[key.strip()] = value.strip()
    return pairs
