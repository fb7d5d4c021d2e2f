"""What the k8s target renders and runs offline with the real kubectl client: the migration
Job, the switch patches and image updates on the rendered dev overlay; and the CLI's k8s
commands (usage errors, status, switch, rollback) against the kubectl stand-in."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kitcore.release import Release
from rollout.cli import main
from rollout.kube import Kubectl
from rollout.kube.images import image_tag, release_id
from rollout.kube.migrate import job_name, render_job
from rollout.kube.render import migrate_args, render_overlay
from rollout.kube.store import ClusterStore
from rollout.state import FAILED, RolloutRecord, State
from tests.support.contract import REFERENCE
from tests.support.fakecluster.cluster import FakeCluster
from tests.support.kubectl import KUBECTL

DIGEST = "sha256:" + "0123456789ab" + "cd" * 26
IMAGE = f"111122223333.dkr.ecr.eu-west-1.amazonaws.com/flask-kit@{DIGEST}"
REPO_ROOT = Path(__file__).resolve().parents[3]
PATCHES = REPO_ROOT / "k8s" / "patches"
V1, V2 = "registry.example/flask-kit:v1", "registry.example/flask-kit@sha256:" + "ab12" * 16


def kubectl(*args: str, stdin: str | None = None) -> Any:
    proc = subprocess.run(
        [KUBECTL, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def rendered(overlay: Path, kind: str, name: str) -> dict[str, Any]:
    """Return one object of the reference service rendered over the overlay."""
    docs = render_overlay(REFERENCE, overlay, KUBECTL)
    (doc,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return dict(doc)


@pytest.mark.parametrize(
    ("image", "rid", "tag"),
    [
        (IMAGE, "0123456789ab", None),
        ("reg.example/flask-kit:1.4.2@" + DIGEST, "0123456789ab", "1.4.2"),
        ("flask-kit:e2e-2", None, "e2e-2"),
        ("localhost:5000/flask-kit", None, None),
    ],
)
def test_release_names(image: str, rid: str | None, tag: str | None) -> None:
    assert len(release_id(image)) == 12
    if rid:
        assert release_id(image) == rid
    assert job_name("app-migrate", image) == f"app-migrate-{release_id(image)}"
    assert image_tag(image) == tag


def test_migration_job_renders_valid_for_the_release(overlay: Path, tmp_path: Path) -> None:
    job = render_job(Kubectl("flask-kit", binary=KUBECTL), REFERENCE, overlay, IMAGE)
    assert job["metadata"]["name"] == "app-migrate-0123456789ab"
    assert job["metadata"]["namespace"] == "flask-kit"
    assert job["metadata"]["labels"]["kit.rollout/release"] == "0123456789ab"
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert (container["name"], container["image"]) == ("migrate", IMAGE)
    # The owner ensures the app's least-privilege role, then migrates, in the release's image.
    assert REFERENCE.migrate is not None
    assert container["args"] == migrate_args(REFERENCE.migrate)
    assert container["args"][-1].endswith("&& exec flask --app app.wsgi db upgrade head")
    assert pod["serviceAccountName"] == "app-migrate"
    # The ConfigMap it reads is the hashed one the overlay applied.
    cm = rendered(overlay, "Job", "app-migrate")["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == cm["envFrom"]
    path = tmp_path / "job.json"
    path.write_text(json.dumps(job))
    subprocess.run(
        [str(REPO_ROOT / ".venv/bin/kubernetes-validate"), "--strict", "-k", "1.33.0", str(path)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("colour", ["blue", "green"])
def test_switch_patches_change_only_the_colour(overlay: Path, colour: str) -> None:
    other = "green" if colour == "blue" else "blue"
    for service, to in (("app-active", colour), ("app-preview", other)):
        before = rendered(overlay, "Service", service)
        patch = PATCHES / f"switch-to-{to}.patch.yaml"
        out = kubectl(
            "patch", "--local", "-f", "-", "--type", "merge", "--patch-file", str(patch),
            "-o", "json", stdin=json.dumps(before),
        )  # fmt: skip
        after = json.loads(out)
        assert after["spec"]["selector"] == {**before["spec"]["selector"], "color": to}
        after["spec"]["selector"] = before["spec"]["selector"]
        assert after == before  # nothing else moved


def test_set_image_touches_only_the_app_container(overlay: Path) -> None:
    before = rendered(overlay, "Deployment", "app-green")
    out = kubectl(
        "set", "image", "--local", "-f", "-", f"app={IMAGE}", "-o", "json",
        stdin=json.dumps(before),
    )  # fmt: skip
    after = json.loads(out)
    after["spec"]["template"]["metadata"].pop("creationTimestamp", None)  # added by kubectl
    containers = after["spec"]["template"]["spec"]["containers"]
    assert containers[0]["image"] == IMAGE
    containers[0]["image"] = before["spec"]["template"]["spec"]["containers"][0]["image"]
    assert after["spec"] == before["spec"]  # nothing else moved
    assert after["metadata"]["labels"] == before["metadata"]["labels"]


def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "state"))
    return main(list(args))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--overlay", "dev"], "--image is required"),
        (["--image", IMAGE], "--overlay is required"),
        (["--image", IMAGE, "--overlay", "prod"], "--version is required"),
    ],
)
def test_deploy_usage_errors_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    fake_cluster: FakeCluster, args: list[str], message: str,
) -> None:  # fmt: skip
    code = cli(tmp_path, monkeypatch, "deploy", "--target", "k8s", *args)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert message in err


def test_status_reads_the_cluster_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    fake_cluster: FakeCluster,
) -> None:  # fmt: skip
    assert cli(tmp_path, monkeypatch, "status", "--target", "k8s") == 0
    out = capsys.readouterr().out
    assert "blue (active)" in out
    assert [what for _, what, _ in fake_cluster.events()] == ["seeded"]


def promoted(version: str, image: str, colour: str) -> RolloutRecord:
    return RolloutRecord(
        f"id-{version}", version, "blue", colour, 1.0, 0, outcome="promoted", image=image
    )


def test_rollback_without_a_previous_promotion_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_cluster: FakeCluster,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    assert cli(tmp_path, monkeypatch, "rollback", "--target", "k8s") == 4
    assert "no previous promoted release" in capsys.readouterr().err
    assert fake_cluster.selects("active") == "blue"


def test_rollback_restores_the_previous_promoted_image_then_switches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_cluster: FakeCluster, overlay: Path
) -> None:
    """green serves v2; blue was left with a release that failed its gate (v3), at 0."""
    v3 = "registry.example/flask-kit:v3"
    with fake_cluster.world() as world:
        world.data["versions"].update({V1: "v1", V2: "v2", v3: "v3"})
        for colour, image, n in (("blue", v3, 0), ("green", V2, 3)):
            world.put(
                fake_cluster.deployment(colour, image, n)
                | {"metadata": world.update("Deployment", fake_cluster.name(colour))["metadata"]},
                create=False,
            )
        for role, colour in (("active", "green"), ("preview", "blue")):
            svc = world.update("Service", fake_cluster.name(role))
            svc["spec"]["selector"]["color"] = colour
            world.touch(svc, f"{role} on {colour}")
    kubectl = Kubectl("flask-kit", binary=str(fake_cluster.kubectl))
    state = State(active="green", history=[promoted("v1", V1, "blue"), promoted("v2", V2, "green")])
    state.mark("blue", Release("v3", Path("."), v3), FAILED)
    ClusterStore(kubectl, "app").save(state)
    args = ("rollback", "--target", "k8s", "--context", "kind-e2e", "--overlay", str(overlay))
    before = len(fake_cluster.calls())
    assert cli(tmp_path, monkeypatch, *args) == 0
    assert fake_cluster.serving() == {V1}  # never v3
    assert fake_cluster.image_of("blue") == (V1, 3)
    assert v3 not in fake_cluster.ever_served()
    calls = fake_cluster.calls()[before:]
    verbs = [c[4] for c in calls]
    assert verbs.index("port-forward") < verbs.index("patch")  # smoke-checked first
    assert all(c[:4] == ["--context", "kind-e2e", "--namespace", "flask-kit"] for c in calls)


def test_switch_smoke_checks_the_idle_colour_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_cluster: FakeCluster
) -> None:
    with fake_cluster.world() as world:
        world.data["versions"][V2] = "v2"
        world.put(
            fake_cluster.deployment("green", V2, 2)
            | {"metadata": world.update("Deployment", "app-green")["metadata"]},
            create=False,
        )
    assert cli(tmp_path, monkeypatch, "switch", "--target", "k8s") == 0
    assert fake_cluster.serving() == {V2}
    verbs = [c[2] for c in fake_cluster.calls()]
    assert verbs.index("port-forward") < verbs.index("patch")
    fake_cluster.set(fail={"portforward": "refuse"})
    assert cli(tmp_path, monkeypatch, "switch", "--target", "k8s") == 4
    assert fake_cluster.selects("active") == "green"


@pytest.mark.parametrize(
    ("printed", "found"),
    [
        ("", None),
        ('{"apiVersion": "v1", "kind": "List", "items": []}', None),
        ('{"kind": "List", "items": [{"kind": "Job", "metadata": {"name": "j"}}]}', "j"),
        ('{"kind": "Job", "metadata": {"name": "j"}}', "j"),
    ],
)
def test_missing_objects_read_as_none_whatever_kubectl_prints(
    tmp_path: Path, printed: str, found: str | None
) -> None:
    script = tmp_path / "kubectl"
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{printed}\nEOF\n")
    script.chmod(0o755)
    obj = Kubectl("flask-kit", binary=str(script)).get_one("job", "j", missing_ok=True)
    assert (obj or {}).get("metadata", {}).get("name") == found
