"""`rollout switch|rollback --target k8s` and the release of an image (CLI helpers)."""

from __future__ import annotations

import time
import uuid
from argparse import Namespace
from pathlib import Path

from rich.console import Console

from rollout.exitcodes import Exit
from rollout.flow import RolloutFailed
from rollout.kube.objects import replicas
from rollout.ops import switch_colours
from rollout.release import ReleaseError
from rollout.state import RolloutRecord, StateStore
from rollout.targets.base import Release, Target, TargetError, other
from rollout.targets.k8s import K8sTarget, in_cluster_smoke


def image_version(image: str) -> str | None:
    """Return the tag of an image reference (repo:TAG or repo:TAG@sha256:...), if it has one."""
    name = image.partition("@")[0]
    tag = name.rpartition(":")[2] if ":" in name.rpartition("/")[2] else ""
    return tag or None


def check_deploy_args(args: Namespace) -> None:
    """Require --image and --overlay; default --version to the image's tag."""
    if not getattr(args, "image", None):
        raise ReleaseError("--image is required with --target k8s (repo@sha256:... or repo:tag)")
    if not getattr(args, "overlay", None):
        raise ReleaseError("--overlay is required with --target k8s (dev, staging, prod or a path)")
    args.version = args.version or image_version(args.image)
    if not args.version:
        raise ReleaseError("--version is required for an image by digest (its APP_VERSION)")


def with_image(release: Release, image: str) -> Release:
    """Attach the image to a release."""
    return Release(release.version, release.source_dir, image)


def switch(
    target: Target, store: StateStore, console: Console, to: str | None, smoke: bool = True
) -> Exit:
    """Move app-active to a colour whose pods are Ready (smoke-checked via app-preview first)."""
    if not isinstance(target, K8sTarget):
        raise TypeError("k8s switch needs the k8s target")
    with store.lock("switch"):
        state = store.load()
        colours = switch_colours(state, target, console, to)
        if colours is None:
            return Exit.PROMOTED
        active, dest = colours
        deployment = target.kubectl.get_one("deployment", f"app-{dest}")
        if deployment is None or replicas(deployment) == 0:
            _scale_up(target, dest, active, console)
        image = target.status().colours.get(dest, {}).get("image", "?")
        if smoke and dest == other(active):
            version = state.versions.get(dest)
            # An empty version (not in the local state file) checks colour and health only.
            release = Release(version or "", Path("."))
            failures = in_cluster_smoke(target.preview_url(), dest, release)
            if failures:
                raise RolloutFailed(Exit.NOT_READY, f"{dest} is not healthy: {failures[:3]}")
        try:
            target.switch(dest)
        except TargetError as exc:
            raise RolloutFailed(Exit.SWITCH_FAILED, str(exc)) from exc
        state.active = dest
        rec = RolloutRecord(
            id=uuid.uuid4().hex[:8], version=state.versions.get(dest) or image,
            from_colour=active, to_colour=dest, started=time.time(), pid=0, phase="switch",
            outcome="promoted", exit_code=0, finished=time.time(),
        )  # fmt: skip
        state.history.append(rec)
        store.save(state)
        console.print(f"[green]✓[/] public traffic on {dest} ({image})")
        return Exit.PROMOTED


def rollback(target: Target, store: StateStore, console: Console) -> Exit:
    """Switch back to the other colour in one step (scaled up first if it was scaled to 0)."""
    if not isinstance(target, K8sTarget):
        raise TypeError("k8s rollback needs the k8s target")
    previous = other(target.active_colour())
    console.print(f"» rolling back to {previous}")
    # The old colour was verified when it served; a rollback is urgent, so no smoke here:
    # the switch itself waits for Ready endpoints of that colour only.
    return switch(target, store, console, previous, smoke=False)


def _scale_up(target: K8sTarget, colour: str, active: str, console: Console) -> None:
    wanted = max(replicas(target.kubectl.get_one("deployment", f"app-{active}") or {}), 1)
    console.print(f"» {colour} is scaled to 0: scaling it to {wanted} first")
    deployment = f"deployment/app-{colour}"
    timeout = target.cfg.rollout_timeout_s
    try:
        target.kubectl.run("scale", deployment, f"--replicas={wanted}")
        target.kubectl.run(
            "rollout", "status", deployment, f"--timeout={timeout:.0f}s", timeout=timeout + 30
        )
    except TargetError as exc:
        raise RolloutFailed(Exit.DEPLOY_FAILED, str(exc)) from exc
