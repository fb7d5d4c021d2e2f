"""The blue-green switch and the promotion, rendered offline with kubectl --local."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import pytest
import yaml
from k8s_harness import (
    CLOUD_OVERLAYS,
    COLORS,
    K8S,
    KUBERNETES_VERSION,
    OVERLAYS,
    REPO,
    Doc,
    build,
    dump,
    get,
    load,
    run,
    selects,
    workloads,
)

from kitcore.contract import Contract
from rollout.kube.render import migrate_args
from tests.support.kubectl import KUBECTL

NEW_DIGEST = "sha256:" + "0123456789abcdef" * 4
PATCHES = K8S / "patches"


def local(tmp_path: Path, doc: Doc, *args: str) -> Doc:
    """Run a kubectl command with --local on one object and return the changed object."""
    path = tmp_path / f"{doc['kind']}-{doc['metadata']['name']}.yaml"
    path.write_text(dump([doc]))
    (changed,) = load(run(KUBECTL, *args, "--local", "-f", str(path), "-o", "yaml"))
    return changed


def switch(tmp_path: Path, service: Doc, color: str) -> Doc:
    """Apply k8s/patches/switch-to-COLOR.patch.yaml to a Service, as `rollout switch` does."""
    patch = PATCHES / f"switch-to-{color}.patch.yaml"
    return local(tmp_path, service, "patch", "--type", "merge", "--patch-file", str(patch))


def validate(tmp_path: Path, *docs: Doc) -> None:
    """Fail unless kubernetes-validate --strict passes every object."""
    path = tmp_path / "validate.yaml"
    path.write_text(dump(list(docs)))
    report = run(
        str(REPO / ".venv/bin/kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, str(path)
    )
    assert report.count("passed") == len(docs), report


def colours_selected(docs: list[Doc], service: Doc) -> list[str]:
    """Return the colours whose pods a Service selects."""
    selector = service["spec"]["selector"]
    pods = {
        d["metadata"]["labels"]["color"]: d["spec"]["template"]["metadata"]["labels"]
        for d in docs
        if d["kind"] == "Deployment" and "color" in d["metadata"]["labels"]
    }
    assert sorted(pods) == sorted(COLORS)
    return [c for c in COLORS if selects(selector, pods[c])]


def pod_image(doc: Doc) -> str:
    """Return the image of a workload's first container."""
    return str(doc["spec"]["template"]["spec"]["containers"][0]["image"])


@pytest.mark.parametrize("color", COLORS)
def test_switch_patch_changes_only_the_colour(color: str) -> None:
    patch = yaml.safe_load((PATCHES / f"switch-to-{color}.patch.yaml").read_text())
    assert patch == {"spec": {"selector": {"color": color}}}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_switch_to_green_and_back(
    rendered: dict[str, list[Doc]], service: Contract, overlay: str, tmp_path: Path
) -> None:
    docs = rendered[overlay]
    rendered_active = get(docs, "Service", service.k8s_name("active"))
    rendered_preview = get(docs, "Service", service.k8s_name("preview"))
    # As rendered, no colour (the switch owns it); the rollout's first command sets both.
    assert colours_selected(docs, rendered_active) == list(COLORS)
    active, preview = (
        switch(tmp_path, rendered_active, "blue"),
        switch(tmp_path, rendered_preview, "green"),
    )
    assert (colours_selected(docs, active), colours_selected(docs, preview)) == (
        ["blue"],
        ["green"],
    )

    new_active, new_preview = switch(tmp_path, active, "green"), switch(tmp_path, preview, "blue")
    validate(tmp_path, new_active, new_preview)
    assert colours_selected(docs, new_active) == ["green"]
    assert colours_selected(docs, new_preview) == ["blue"]
    # Nothing but the colour changed: same ports, labels, other selector keys.
    expected = copy.deepcopy(active)
    expected["spec"]["selector"]["color"] = "green"
    assert new_active == expected

    # Rolling back is the same patch the other way, and restores the original exactly.
    assert switch(tmp_path, new_active, "blue") == active
    assert switch(tmp_path, new_preview, "green") == preview


def test_a_wrong_colour_selects_nothing(rendered: dict[str, list[Doc]], service: Contract) -> None:
    # The check above can fail: a selector for a colour that does not exist matches no pod.
    active = copy.deepcopy(get(rendered["prod"], "Service", service.k8s_name("active")))
    active["spec"]["selector"]["color"] = "purple"
    assert colours_selected(rendered["prod"], active) == []


@pytest.mark.parametrize("overlay", CLOUD_OVERLAYS)
def test_rollout_then_promotion_render_same_image(
    rendered: dict[str, list[Doc]], service: Contract, overlay: str, tmp_path: Path
) -> None:
    docs = rendered[overlay]
    blue = get(docs, "Deployment", service.k8s_name("blue"))
    green = get(docs, "Deployment", service.k8s_name("green"))
    release = pod_image(blue).split("@")[0] + "@" + NEW_DIGEST
    container = service.kubernetes.container

    # `rollout deploy`: the idle colour gets the release image (it carries its version) first...
    green2 = local(tmp_path, green, "set", "image", f"{container}={release}")
    validate(tmp_path, green2)
    assert pod_image(green2) == release
    assert pod_image(blue) != release
    # ...and the old colour follows on the next release; then both run one image again.
    blue2 = local(tmp_path, blue, "set", "image", f"{container}={release}")
    assert pod_image(blue2) == pod_image(green2) == release
    blue_spec, green_spec = blue2["spec"]["template"]["spec"], green2["spec"]["template"]["spec"]
    for spec in (blue_spec, green_spec):
        for spread in spec["topologySpreadConstraints"]:
            spread["labelSelector"]["matchLabels"].pop("color")
    assert blue_spec == green_spec


@pytest.mark.parametrize("overlay", CLOUD_OVERLAYS)
def test_promotion_commit_renders_one_image_everywhere(
    k8s_root: Path, service: Contract, overlay: str, tmp_path: Path
) -> None:
    # What the pipeline commits after a promotion: the overlay's digest moves to the release.
    root = tmp_path / "k8s"
    shutil.copytree(k8s_root, root)
    kustomization = root / "overlays" / overlay / "kustomization.yaml"
    text, count = re.subn(
        r"digest: sha256:[0-9a-f]{64}", f"digest: {NEW_DIGEST}", kustomization.read_text()
    )
    assert count == 1
    kustomization.write_text(text)
    images = {pod_image(d) for d, _ in workloads(build(root, overlay, service))}
    assert len(images) == 1
    assert images.pop().endswith("@" + NEW_DIGEST)


def test_migration_job_per_release(
    rendered: dict[str, list[Doc]], service: Contract, tmp_path: Path
) -> None:
    assert service.migrate is not None
    template = get(rendered["prod"], "Job", service.k8s_name("migrate"))
    release = pod_image(template).split("@")[0] + "@" + NEW_DIGEST
    name = service.k8s_name("migrate-") + NEW_DIGEST.removeprefix("sha256:")[:12]
    job = local(tmp_path, template, "set", "image", f"migrate={release}")
    job = local(
        tmp_path, job, "patch", "--type", "merge", "-p", f'{{"metadata":{{"name":"{name}"}}}}'
    )
    validate(tmp_path, job)
    assert job["metadata"]["name"] == name
    assert pod_image(job) == release
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == migrate_args(service.migrate)
