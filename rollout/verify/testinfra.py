"""Run testinfra checks (rollout/verify/hostchecks) against one host and judge them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kitcore.contract import Contract
from kitcore.release import COMPLETE_MARKER
from rollout.verify.verdict import Status, Verdict

CHECKS = Path(__file__).resolve().parent / "hostchecks"
COLOUR_CHECKS = CHECKS / "test_colour.py"
POD_CHECKS = CHECKS / "test_pod.py"
SPEC_ENV = "ROLLOUT_CHECK_SPEC"


def service_facts(contract: Contract) -> dict[str, Any]:
    """What every host check must know of the service, from its contract."""
    serve, health = contract.serve, contract.health
    return {
        "wsgi": serve.wsgi,
        "release_files": [
            contract.module_file(serve.wsgi_module),
            contract.module_file(serve.gunicorn_config),
            COMPLETE_MARKER,
        ],
        "identity": health.identity,
        "version_field": health.version_field,
        "colour_field": health.colour_field,
        "version_env": serve.version_env,
        "colour_env": serve.colour_env,
        "production_env": serve.production_env,
    }


@dataclass(frozen=True)
class ColourSpec:
    """What a local colour must look like on this host."""

    colour: str
    port: int
    version: str
    release_dir: str
    user: str
    config_files: list[str]
    service: dict[str, Any]


@dataclass(frozen=True)
class PodSpec:
    """What an idle pod must show (uid and port come from the Deployment's pod spec)."""

    colour: str
    version: str
    uid: int
    port: int
    service: dict[str, Any]


def run_testinfra(
    checks: Path,
    host: str,
    spec: Any,
    out_dir: Path,
    path_first: str | None = None,
    timeout: float = 180,
) -> Verdict:
    """Run a checks file with pytest against host (JUnit XML and log into out_dir)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    junit = out_dir / "testinfra-junit.xml"
    # A separate interpreter keeps pytest's global state out of the caller (which may be pytest).
    cmd = [
        sys.executable, "-m", "pytest", str(checks), f"--hosts={host}",
        f"--junitxml={junit}", "-p", "no:cacheprovider", "-q", "--no-header",
        "-o", "addopts=", "--rootdir", str(checks.parent), "-c", os.devnull,
    ]  # fmt: skip
    env = {**os.environ, SPEC_ENV: json.dumps(asdict(spec))}
    if path_first:  # e.g. testinfra's kubectl:// runs `kubectl` from PATH: the target's own
        env["PATH"] = path_first + os.pathsep + env.get("PATH", "")
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
            cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return Verdict("testinfra", Status.ERROR, f"did not finish within {timeout:.0f}s")
    (out_dir / "testinfra.txt").write_text(proc.stdout + proc.stderr)
    failures = junit_failures(junit) if junit.exists() else []
    if proc.returncode != 0 and not failures:
        tail = (proc.stdout + proc.stderr)[-400:]
        return Verdict("testinfra", Status.ERROR, f"pytest exited {proc.returncode}", [tail])
    summary = f"{'passed' if not failures else 'failed'} on {host} ({junit.name})"
    return Verdict.of("testinfra", failures, summary)


def junit_failures(junit: Path) -> list[str]:
    """List the failed or errored test cases of a JUnit file, with their first message line."""
    failures = []
    for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314 - our own pytest output
        for bad in (*case.findall("failure"), *case.findall("error")):
            message = (bad.get("message") or "").splitlines()[0:1]
            failures.append(f"{case.get('name')}: {message[0] if message else bad.tag}")
    return failures
