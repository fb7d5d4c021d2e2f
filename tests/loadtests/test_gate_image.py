"""The gate image's context per contract and its entrypoint, run for real from that context:
every COPY source of loadtests/Dockerfile.gate exists, and the verdict is the last log line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kitcore.contract import load_contract
from loadtests.gate_context import stage
from rollout.kube.gatejob import parse_verdict
from rollout.verify.gates import GateConfig
from tests.support.contract import REFERENCE, ROOT

DOCKERFILE = ROOT / "loadtests" / "Dockerfile.gate"
CONTRACTS = {"reference": REFERENCE, "todo": load_contract(ROOT / "examples/todo/kit.toml")}


def copy_sources() -> list[str]:
    """The context paths the Dockerfile copies (not from another stage)."""
    found = []
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            found.append(line.split()[1])
    return found


@pytest.mark.parametrize("service", list(CONTRACTS))
def test_the_context_holds_what_the_dockerfile_copies(service: str, tmp_path: Path) -> None:
    contract = CONTRACTS[service]
    args = dict(a.split("=", 1) for a in stage(contract, tmp_path))
    assert copy_sources()
    for source in copy_sources():
        assert (tmp_path / source).exists(), source
    staged = tmp_path / "service" / args["LOCUSTFILE"]
    assert staged.read_bytes() == contract.path(contract.gate.locustfile).read_bytes()
    # The staged kit alone is enough for the entrypoint (nothing of the checkout leaks in).
    probe = "import loadtests.gate_main, rollout.verify.loadrun as m; print(m.__file__)"
    out = subprocess.run(
        [sys.executable, "-P", "-c", probe], cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "kit")}, check=True,
    ).stdout  # fmt: skip
    assert Path(out.strip()).is_relative_to(tmp_path / "kit")


def test_requirements_pin_what_the_lock_holds() -> None:
    pins = re.findall(
        r"^([\w-]+)==([\w.]+)$", (ROOT / "loadtests/gate-requirements.txt").read_text(), re.M
    )
    lock = (ROOT / "uv.lock").read_text()
    assert pins
    for name, version in pins:
        assert f'name = "{name}"\nversion = "{version}"' in lock, name


def test_the_entrypoint_prints_the_verdict_as_its_last_line(tmp_path: Path) -> None:
    """A real locust run from the staged context against nothing: it fails, and says so."""
    args = dict(a.split("=", 1) for a in stage(REFERENCE, tmp_path / "ctx"))
    cfg = GateConfig(name="pre_switch", users=2, spawn_rate=2, duration_s=2, min_requests=1)
    env = {
        **os.environ, "PYTHONPATH": str(tmp_path / "ctx" / "kit"), "GATE_CONFIG": cfg.to_json(),
        "GATE_TARGET": "http://127.0.0.1:24109", "GATE_USERS": " ".join(REFERENCE.gate.users),
        "GATE_COLOUR_HEADER": "X-App-Color", "GATE_OUT": str(tmp_path / "out"),
        "GATE_LOCUSTFILE": str(tmp_path / "ctx" / "service" / args["LOCUSTFILE"]),
    }  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-P", "-m", "loadtests.gate_main"], cwd=tmp_path / "ctx" / "kit",
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr[-2000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("KIT_GATE_VERDICT ")
    verdict = parse_verdict(proc.stdout)
    assert verdict is not None
    assert (verdict["gate"], verdict["passed"]) == ("pre_switch", False)
    assert verdict == json.loads(last.partition(" ")[2])
