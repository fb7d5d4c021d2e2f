"""The CLI: help lists the exit codes, bad input is one line and a distinct exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from rollout.cli import main
from rollout.exitcodes import Exit
from rollout.store import FileStore
from rollout.targets import build_target
from tests.support.contract import REFERENCE


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
