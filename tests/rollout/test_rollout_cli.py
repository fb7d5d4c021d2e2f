"""The CLI: help lists the exit codes, bad input is one line and a distinct exit code."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rollout.cli import main
from rollout.exitcodes import Exit
from rollout.store import FileStore
from rollout.targets import build_target
from tests.support.contract import OTHER_FILE, REFERENCE
from tests.support.kubectl import KUBECTL


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def test_help_documents_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["deploy", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for code in Exit:
        assert f"{int(code):>3}  " in out
    assert "--gate-set" in out
    assert "--force-migration" in out


def test_unknown_target_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["deploy", "--target", "nomad"])
    assert exc.value.code == Exit.USAGE
    with pytest.raises(ValueError, match="unknown target"):
        build_target("nomad", REFERENCE, {})


def test_bad_gate_override_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "--gate-set", "pre_switch.users=lots"]) == Exit.USAGE
    out = capsys.readouterr().err.strip()
    assert out.startswith("rollout: gate setting users='lots'")
    assert len(out.splitlines()) == 1


def test_release_dir_must_be_a_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "--release-dir", str(tmp_path)]) == Exit.USAGE
    assert "does not look like a release" in capsys.readouterr().err


def test_second_rollout_is_refused(
    tmp_path: Path, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release = tmp_path / "rel"
    (release / "app").mkdir(parents=True)
    (release / "app" / "wsgi.py").write_text("")  # the contract's serve.wsgi module
    with FileStore(state / "rollout.json").lock("deploy v1"):
        reports = str(tmp_path / "reports")
        code = main(
            ["deploy", "--release-dir", str(release), "--version", "v2", "--reports", reports]
        )
    assert code == Exit.LOCKED
    assert not (tmp_path / "reports").exists()
    assert "another rollout is running" in capsys.readouterr().err


def test_a_bad_contract_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "kit.toml"
    bad.write_text((REFERENCE.root / "kit.toml").read_text().replace("[health]", "[helth]"))
    assert main(["status", "--contract", str(bad)]) == Exit.USAGE
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"rollout: {bad}: ")
    assert "helth" in err


def test_render_prints_the_services_manifests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # staging needs no git-ignored secrets file; the stream is what `kubectl apply -f -` reads.
    assert main(["render", "--overlay", "staging", "--kubectl", KUBECTL]) == 0
    docs = [d for d in yaml.safe_load_all(capsys.readouterr().out) if d]
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert {("Deployment", "app-blue"), ("Service", "app-active"), ("Job", "app-migrate")} <= names
    assert {d["metadata"].get("namespace", "flask-kit") for d in docs} == {"flask-kit"}
    overlay = REFERENCE.root / "k8s" / "overlays" / "staging"
    assert main(["render", "--overlay", str(overlay), "--contract", str(OTHER_FILE)]) == 0
    other = [d for d in yaml.safe_load_all(capsys.readouterr().out) if d]
    assert {d["metadata"]["labels"]["app.kubernetes.io/name"] for d in other} == {"todo-api"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--overlay", "qa"], "overlays/qa: not a kustomize overlay"),
        (["--overlay", "prod", "--contract", "/nonexistent/kit.toml"], "cannot read the contract"),
    ],
)
def test_render_refuses_a_bad_overlay_or_contract_in_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["render", *args]) == Exit.USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert message in captured.err


def test_render_names_what_kustomize_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "overlay"
    broken.mkdir()
    (broken / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    assert main(["render", "--overlay", str(broken), "--kubectl", KUBECTL]) == Exit.USAGE
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "missing.yaml" in err
