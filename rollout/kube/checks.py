"""Run the testinfra checks of an idle pod (rollout/checks/test_pod.py, kubectl:// backend)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from rollout.checks import SPEC_ENV, junit_failures

CHECKS_FILE = Path(__file__).resolve().parent.parent / "checks" / "test_pod.py"


@dataclass(frozen=True)
class PodSpec:
    """What the idle pod must show (uid and port come from the Deployment's pod spec)."""

    colour: str
    version: str
    uid: int
    port: int


def run_pod_checks(
    host: str, spec: PodSpec, out_dir: Path, kubectl_dir: str | None = None, timeout: float = 180
) -> tuple[bool, list[str], Path]:
    """Run test_pod.py against a kubectl:// host; return (passed, failures, junit file)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    junit = out_dir / "testinfra-junit.xml"
    cmd = [
        sys.executable, "-m", "pytest", str(CHECKS_FILE), f"--hosts={host}",
        f"--junitxml={junit}", "-p", "no:cacheprovider", "-q", "--no-header",
        "-o", "addopts=", "--rootdir", str(CHECKS_FILE.parent), "-c", os.devnull,
    ]  # fmt: skip
    env = {**os.environ, SPEC_ENV: json.dumps(asdict(spec))}
    if kubectl_dir:  # testinfra runs `kubectl` from PATH: the same binary as the target's
        env["PATH"] = kubectl_dir + os.pathsep + env.get("PATH", "")
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
            cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return False, [f"testinfra did not finish within {timeout:.0f}s"], junit
    (out_dir / "testinfra.txt").write_text(proc.stdout + proc.stderr)
    failures = junit_failures(junit) if junit.exists() else []
    if proc.returncode != 0 and not failures:
        failures = [f"pytest exited {proc.returncode}: {(proc.stdout + proc.stderr)[-400:]}"]
    return proc.returncode == 0 and not failures, failures, junit
