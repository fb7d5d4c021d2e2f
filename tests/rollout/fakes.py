"""An in-memory Target for unit tests of the flow's decisions (the real ones are tested live)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from kitcore.contract import Contract
from kitcore.release import Release
from rollout.errors import TargetError
from rollout.flow import Options, Rollout
from rollout.outcome import Outcome
from rollout.store import FileStore, Store
from rollout.targets.base import LoadRequest, ReleaseRequest, TargetStatus, load_from_here
from rollout.verify.gates import GateConfig, resolve_gates
from rollout.verify.loadrun import LoadResult, LoadSpec
from rollout.verify.verdict import Verdict
from tests.support.contract import REFERENCE, REFERENCE_GATES


@dataclass
class FakeTarget:
    """Records every call; failures injected per operation."""

    name: str = "fake"
    environment: str = "local"
    contract: Contract = REFERENCE
    active: str = "blue"
    running_releases: dict[str, Release] = field(
        default_factory=lambda: {"blue": Release("v1", Path("/releases/v1"))}
    )
    last_started: dict[str, Release] = field(default_factory=dict)
    pending: list[Path] = field(default_factory=list)
    fail: set[str] = field(default_factory=set)
    interrupt: str = ""
    calls: list[str] = field(default_factory=list)
    users_saw: list[str] = field(default_factory=list)  # reasons the observer reports
    observers: list[FakeObserver] = field(default_factory=list)

    state_file: Path | None = None

    def store(self) -> Store:
        return FileStore(self.state_file or Path("/nonexistent/rollout.json"))

    def _maybe_fail(self, op: str) -> None:
        self.calls.append(op)
        if op == self.interrupt:
            raise KeyboardInterrupt
        if op in self.fail:
            raise TargetError(f"{op} broke")

    def make_release(self, request: ReleaseRequest, releases_dir: Path) -> Release:
        return Release(request.version or "v2", request.release_dir or releases_dir / "v2")

    def ensure_ready(self) -> None:
        self._maybe_fail("ready")

    def active_colour(self) -> str:
        return self.active

    def running(self, colour: str) -> bool:
        return colour in self.running_releases

    def release_of(self, colour: str) -> Release | None:
        return self.running_releases.get(colour) or self.last_started.get(colour)

    def start(self, colour: str, release: Release) -> None:
        self._maybe_fail(f"start:{colour}")
        self.running_releases[colour] = release
        self.last_started[colour] = release

    def pending_migrations(self, release: Release) -> list[Path]:
        return self.pending

    def migrate(self, release: Release) -> None:
        self._maybe_fail("migrate")
        self.pending = []

    def verify(self, colour: str, release: Release, out_dir: Path) -> Verdict:
        self.calls.append(f"verify:{colour}")
        failures = ["test_listens: nothing listens"] if "verify" in self.fail else []
        return Verdict.of("verify", failures, "fake checks")

    def smoke(self, colour: str, version: str | None) -> Verdict:
        self.calls.append(f"smoke:{colour}")
        running = self.running_releases.get(colour)
        ok = running is not None and "smoke" not in self.fail
        return Verdict.of("smoke", [] if ok else [f"{colour} does not answer"])

    def public_url(self) -> str:
        return "https://public.invalid"

    def preview_url(self) -> str:
        return "https://preview.invalid"

    def ca_cert(self) -> Path | None:
        return None

    def run_load(self, request: LoadRequest) -> LoadResult:
        return load_from_here(self, request)

    def observe(self, colour: str, since: float) -> FakeObserver:
        self.calls.append(f"observe:{colour}")
        self.observers.append(FakeObserver(self.users_saw))
        return self.observers[-1]

    def switch(self, colour: str) -> None:
        self._maybe_fail(f"switch:{colour}")
        self.active = colour

    def stop(self, colour: str) -> None:
        self._maybe_fail(f"stop:{colour}")
        self.running_releases.pop(colour, None)

    def status(self) -> TargetStatus:
        colours = {c: {"version": r.version} for c, r in self.running_releases.items()}
        return TargetStatus(self.active, colours, [])


@dataclass
class FakeObserver:
    """What users saw after the switch: failed with the given reasons, passed without."""

    reasons: list[str]
    closed: bool = False

    def verdict(self, cfg: GateConfig) -> Verdict:
        return Verdict.of("observe", list(self.reasons), "fake users")

    def close(self) -> None:
        self.closed = True


class FakeGates:
    """Stand-in for run_gate: a verdict per gate name, with a small timeline.

    Controls and retries run under their own names (pre_switch_control, pre_switch_retry...);
    a failing name fails with `measures[name]` when given (to make a candidate worse than its
    control), else with one failed request in 250 at p95 900 ms.
    """

    def __init__(self) -> None:
        self.failing: set[str] = set()
        self.interrupt: str = ""
        self.signal: dict[str, int] = {}  # gate name -> signal the rollout gets during it
        self.ran: list[tuple[str, str]] = []
        self.measures: dict[str, dict[str, float]] = {}
        self.timelines: dict[str, list[dict[str, Any]]] = {}  # gate name -> its seconds

    def __call__(
        self, cfg: GateConfig, host: str, ca: Path | None, out: Path, env: Any = None, **_: Any
    ) -> LoadResult:
        self.ran.append((cfg.name, host))
        if cfg.name == self.interrupt:
            raise KeyboardInterrupt
        if cfg.name in self.signal:
            os.kill(os.getpid(), self.signal[cfg.name])  # delivered before the next bytecode
        ok = cfg.name not in self.failing
        rows = [{"t": 1000 + i, "n": 50, "fail": 0, "rt": {"5": 45, "40": 5}} for i in range(5)]
        good = {"num_requests": 250, "num_failures": 0, "p95_ms": 40, "p99_ms": 40}
        bad = {"num_requests": 250, "num_failures": 1, "p95_ms": 900, "p99_ms": 900}
        return LoadResult(
            gate=cfg.name, passed=ok, reasons=[] if ok else ["p95 900 ms above 300 ms"],
            measures=good if ok else self.measures.get(cfg.name, bad),
            timeline=self.timelines.get(cfg.name, rows),
        )  # fmt: skip


def run_rollout(
    tmp_path: Path,
    target: FakeTarget,
    version: str = "v2",
    gate_set: tuple[str, ...] = (),
    **opts: Any,
) -> tuple[Outcome, FileStore]:
    """Run the whole flow of a release on the fake target, with the reference's gates."""
    store = FileStore(tmp_path / "state" / "rollout.json")
    options = Options(
        gates=resolve_gates(REFERENCE_GATES, list(gate_set)),
        reports_base=tmp_path,
        load=LoadSpec.of(REFERENCE),
        stop_delay_s=0,
        **opts,
    )
    release = Release(version, tmp_path)
    report = tmp_path / "report"
    report.mkdir(exist_ok=True)
    outcome = Rollout(target, store, release, options, Console(quiet=True)).run(report)
    return outcome, store
