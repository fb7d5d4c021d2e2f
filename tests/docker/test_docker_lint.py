"""The Dockerfile passes hadolint with no finding (justified ignores are inline)."""

from __future__ import annotations

import subprocess

from docker_harness import ROOT


def test_hadolint_is_clean() -> None:
    done = subprocess.run(
        [ROOT / ".venv" / "bin" / "hadolint", "--failure-threshold", "info", ROOT / "Dockerfile"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""
