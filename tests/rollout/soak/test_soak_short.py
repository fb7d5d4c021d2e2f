"""A short soak for real: four rollouts (one bad release), every fault kind once."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from rich.console import Console

from kitcore.contract import load_contract
from rollout.soak.accounting import failed_outside
from rollout.soak.report import describe, write
from rollout.soak.run import Soak, SoakOptions
from rollout.soak.schedule import FAULT_KINDS, IN_GATE
from stack.supervisor import alive

REPO_ROOT = Path(__file__).resolve().parents[3]
# Its own ports: tests/rollout/conftest.py's stacks use 24100-24699, the proxy test 24710.
PORTS = {
    "KIT_HTTP_PORT": "24780",
    "KIT_HTTPS_PORT": "24743",
    "KIT_PREVIEW_PORT": "24744",
    "KIT_BLUE_PORT": "24721",
    "KIT_GREEN_PORT": "24722",
    "KIT_POSTGRES_PORT": "24732",
    "KIT_REDIS_PORT": "24779",
    "KIT_S3_PORT": "24750",
}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_short_soak_meets_every_criterion(monkeypatch: pytest.MonkeyPatch) -> None:
    # Not under pytest's 0700 tmp: Nginx workers run as nobody and must reach the state dir.
    base = Path(tempfile.mkdtemp(prefix="soak-short-"))
    base.chmod(0o755)
    for key, value in {**PORTS, "KIT_STATE_DIR": str(base / "state")}.items():
        monkeypatch.setenv(key, value)
    contract = load_contract(REPO_ROOT / "kit.toml")
    opts = SoakOptions(rollouts=4, out=base / "report", max_minutes=7)
    soak = Soak(contract, opts, Console(width=120))
    try:
        figures, load = soak.run()
        page = write(opts.out, load.rec.requests, figures, "test")
        t0 = min(r.t for r in load.rec.requests)
        outside = [describe(r, t0) for r in failed_outside(load.rec.requests, figures.windows)]
    finally:
        proxy = soak.proxy
        shutil.rmtree(base, ignore_errors=True)
    # Tidy: the stack and the latency proxy are gone.
    assert not soak.stack.supervisor.is_running()
    assert proxy is not None
    assert not alive(proxy.pid)
    assert page.name == "report.html"
    failed = [w for w in figures.windows if w.detail.startswith("FAILED")]
    assert failed == []
    assert {w.kind for w in figures.windows} == set(FAULT_KINDS)
    # The in-gate faults landed inside a rollout (its pre-switch gate), and its good release
    # was still promoted (the criteria below): never called bad for the shared bad day.
    in_gate = [w for w in figures.windows if w.kind.endswith(IN_GATE)]
    assert all(any(r.start < w.start < r.end for r in figures.rollouts) for w in in_gate)
    assert figures.writes_accepted > 0
    assert figures.jobs_enqueued > 0
    assert figures.split.inside_sent > 0
    assert [(r.bad, r.outcome) for r in figures.rollouts if r.bad] == [("slow", "refused")]
    # Data safety, the verdicts and the requests outside fault windows are exact. A request
    # sent on a keep-alive connection the reload at a switch retired is sent once more when
    # that is safe (every write of the reference's soak is: rollout/README.md "Soak").
    assert outside == []
    assert figures.unmet() == []
