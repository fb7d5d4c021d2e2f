"""What a deploy applies: the idle colour's rendered objects with the release's image, and the
inputs its pods read; never a Service, never `replicas`; the rest is the operators' to apply."""

from __future__ import annotations

import shutil

import pytest

from rollout.kube.apply import colour_objects, referenced, shared_objects, worker_objects
from rollout.kube.objects import Obj, name_of
from rollout.kube.render import render_overlay
from tests.support.contract import REFERENCE
from tests.support.kubectl import KUBECTL

IMAGE = "registry.example/flask-kit@sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> list[Obj]:
    """The reference service over the prod overlay (no local secrets files needed)."""
    root = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(REFERENCE.root / "k8s", root)
    return render_overlay(REFERENCE, root / "overlays" / "prod", KUBECTL)


def kinds(objs: list[Obj]) -> set[tuple[str, str]]:
    return {(o["kind"], name_of(o)) for o in objs}


def test_the_idle_colour_gets_its_workload_inputs_and_image(docs: list[Obj]) -> None:
    objs = colour_objects(docs, REFERENCE, "green", IMAGE)
    found = kinds(objs)
    assert {("Deployment", "app-green"), ("HorizontalPodAutoscaler", "app-green"),
            ("PodDisruptionBudget", "app-green")} <= found  # fmt: skip
    assert not [k for k, n in found if k == "Service" or n == "app-blue"]
    (web,) = [o for o in objs if o["kind"] == "Deployment"]
    assert "replicas" not in web["spec"]  # the HPA's
    (app,) = [c for c in web["spec"]["template"]["spec"]["containers"] if c["name"] == "app"]
    assert app["image"] == IMAGE
    # Every ConfigMap the pods read and the render holds comes along (hashed: a new name).
    rendered = {(d["kind"], name_of(d)) for d in docs}
    assert referenced(web) & rendered <= found
    assert any(k == "ConfigMap" and n.startswith("app-config-") for k, n in found)


def test_the_worker_follows_the_serving_image(docs: list[Obj]) -> None:
    objs = worker_objects(docs, REFERENCE, IMAGE)
    (worker,) = [o for o in objs if o["kind"] == "Deployment"]
    assert worker["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE
    assert worker["spec"]["replicas"] >= 1


def test_operators_apply_everything_but_what_a_rollout_owns(docs: list[Obj]) -> None:
    shared = kinds(shared_objects(docs, REFERENCE))
    owned = kinds(docs) - shared
    assert owned == {
        ("Deployment", "app-blue"), ("Deployment", "app-green"), ("Deployment", "app-worker"),
        ("HorizontalPodAutoscaler", "app-blue"), ("HorizontalPodAutoscaler", "app-green"),
        ("PodDisruptionBudget", "app-blue"), ("PodDisruptionBudget", "app-green"),
        ("Job", "app-migrate"),
    }  # fmt: skip
    assert ("Service", "app-active") in shared


def test_a_render_without_the_colour_is_refused(docs: list[Obj]) -> None:
    with pytest.raises(ValueError, match="no Deployment 'app-blue'"):
        colour_objects([d for d in docs if name_of(d) != "app-blue"], REFERENCE, "blue", IMAGE)
