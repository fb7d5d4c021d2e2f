"""Run the testinfra checks of a colour (test_colour.py) and collect their JUnit results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from pathlib import Path

CHECKS_FILE = Path(__file__).resolve().parent / "test_colour.py"
SPEC_ENV = "ROLLOUT_CHECK_SPEC"


@dataclass(frozen=True)
class ColourSpec:
    """What the idle colour must look like on this host."""

    colour: str
    port: int
    version: str
    release_dir: str
    user: str
    config_files: list[str]


def run_checks(
    spec: ColourSpec, out_dir: Path, timeout: float = 120
) -> tuple[bool, list[str], Path]:
    """Run the checks with pytest (JUnit XML into out_dir); return (passed, failures, junit)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    junit = out_dir / "testinfra-junit.xml"
    # A separate interpreter keeps pytest's global state out of the caller (which may be pytest).
    cmd = [
        sys.executable, "-m", "pytest", str(CHECKS_FILE), "--hosts=local://",
        f"--junitxml={junit}", "-p", "no:cacheprovider", "-q", "--no-header",
        "-o", "addopts=", "--rootdir", str(CHECKS_FILE.parent), "-c", os.devnull,
    ]  # fmt: skip
    env = {**os.environ, SPEC_ENV: json.dumps(asdict(spec))}
    proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
        cmd, env=env, capture_output=True, text=True, timeout=timeout
    )
    (out_dir / "testinfra.txt").write_text(proc.stdout + proc.stderr)
    failures = junit_failures(junit) if junit.exists() else [f"pytest exited {proc.returncode}"]
    if proc.returncode != 0 and not failures:
        failures = [f"pytest exited {proc.returncode}: {proc.stdout[-400:]}"]
    return proc.returncode == 0 and not failures, failures, junit


def junit_failures(junit: Path) -> list[str]:
    """List the failed or errored test cases of a JUnit file, with their first message line."""
    failures = []
    for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314 - our own pytest output
        for bad in (*case.findall("failure"), *case.findall("error")):
            message = (bad.get("message") or "").splitlines()[0:1]
            failures.append(f"{case.get('name')}: {message[0] if message else bad.tag}")
    return failures
