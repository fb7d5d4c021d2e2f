"""Config rolls out blue-green on the fake cluster: a first install of the rendered overlay, a
config-only change (an env var) reaching the idle colour through the gates, and no apply of
the manifests, by the rollout or by a user, ever moving the live selector."""

from __future__ import annotations

from pathlib import Path

import pytest
from k8s_outcomes_harness import IMAGES, Verdicts, deploy, public_route, target

from rollout.exitcodes import Exit
from rollout.kube.apply import SWITCH_MANAGER, shared_objects
from rollout.kube.render import render_overlay
from tests.rollout.conftest import HEADS
from tests.support.contract import REFERENCE
from tests.support.fakecluster.cluster import FakeCluster
from tests.support.fakecluster.world import ApiError
from tests.support.kubectl import KUBECTL

V1 = IMAGES["v1"]


@pytest.fixture
def installed(
    tmp_path: Path, overlay: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[FakeCluster, Verdicts]:
    """A fresh cluster where the dev overlay was installed as k8s/README.md says."""
    cluster = FakeCluster(tmp_path / "fresh", REFERENCE)
    for key, value in cluster.install(KUBECTL).items():
        monkeypatch.setenv(key, value)
    docs = render_overlay(REFERENCE, overlay, KUBECTL)
    cluster.first_install(docs)
    first = cluster.image_of("blue")[0]
    with cluster.world() as world:
        world.data["versions"].update({first: "0.1.0", **{i: v for v, i in IMAGES.items()}})
        world.data["db_heads"] = world.data["heads"] = HEADS
    verdicts = Verdicts(cluster)
    monkeypatch.setattr("rollout.targets.k8s.run_testinfra", verdicts.testinfra)
    return cluster, verdicts


def config_of(cluster: FakeCluster, colour: str) -> dict[str, str]:
    """The data of the rendered ConfigMap a colour's pods read."""
    dep = cluster.get("Deployment", cluster.name(colour))
    assert dep is not None
    (app,) = dep["spec"]["template"]["spec"]["containers"]
    names = [s["configMapRef"]["name"] for s in app.get("envFrom", []) if "configMapRef" in s]
    (name,) = [n for n in names if n.startswith(cluster.name("config"))]
    config = cluster.get("ConfigMap", name)
    assert config is not None
    return dict(config["data"])


def test_a_config_change_reaches_the_idle_colour_through_the_gates(
    installed: tuple[FakeCluster, Verdicts], overlay: Path, tmp_path: Path
) -> None:
    cluster, _ = installed
    # As installed, the Services carry no colour: the rollout's first command gives them theirs.
    assert cluster.selects("active") == ""
    with public_route(cluster) as public:
        assert deploy(target(cluster, overlay, public), tmp_path, "v1").code == Exit.PROMOTED
        assert cluster.serving() == {V1}
        assert "FEATURE_GREETING" not in config_of(cluster, "green")

        # A config-only change: same image, one more variable in the overlay's config.
        config_env = overlay.parents[1] / "base" / "config.env"
        config_env.write_text(config_env.read_text() + "FEATURE_GREETING=hello\n")
        gated_before = len(cluster.measured())
        outcome = deploy(target(cluster, overlay, public), tmp_path, "v1")
    assert outcome.code == Exit.PROMOTED, outcome.reason
    assert cluster.selects("active") == "blue"  # it went to the idle colour...
    assert config_of(cluster, "blue")["FEATURE_GREETING"] == "hello"
    # ...gated: the gate Jobs measured v1 on the idle colour, then on the public Service.
    assert cluster.measured()[gated_before:] == [("pre_switch", "v1"), ("post_switch", "v1")]
    assert "FEATURE_GREETING" not in config_of(cluster, "green")  # the old colour kept its own
    worker = cluster.get("Deployment", cluster.name("worker"))
    assert worker is not None
    assert worker["spec"]["template"]["spec"]["containers"][0]["image"] == V1
    # The selector was only ever moved by the switch; no apply touched a Service.
    assert cluster.owner("Service", cluster.name("active"), "spec.selector.color") == (
        SWITCH_MANAGER
    )
    applied = [what for _, what, _ in cluster.events() if what.startswith("apply ")]
    assert applied
    assert not [a for a in applied if a.startswith("apply Service/")]


def test_a_user_reapplying_the_manifests_cannot_move_traffic(
    installed: tuple[FakeCluster, Verdicts], overlay: Path, tmp_path: Path
) -> None:
    cluster, _ = installed
    with public_route(cluster) as public:
        assert deploy(target(cluster, overlay, public), tmp_path, "v1").code == Exit.PROMOTED
    assert cluster.selects("active") == "green"
    docs = render_overlay(REFERENCE, overlay, KUBECTL)
    # Re-applying everything is refused: the colours' images and config are the rollout's.
    with pytest.raises(ApiError, match='conflict with "flask-deploy-kit-rollout"'):
        cluster.first_install(docs)
    # What k8s/README.md tells an operator to apply after a change to the shared manifests.
    cluster.first_install(shared_objects(docs, REFERENCE))
    assert cluster.selects("active") == "green"
    assert cluster.serving() == {V1}
