"""An in-memory Target for unit tests of the flow's decisions (the real ones are tested live)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kitcore.contract import Contract
from kitcore.release import Release
from rollout.errors import TargetError
from rollout.targets.base import ReleaseRequest, TargetStatus
from rollout.verify.verdict import Verdict
from tests.support.contract import REFERENCE


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

    def switch(self, colour: str) -> None:
        self._maybe_fail(f"switch:{colour}")
        self.active = colour

    def stop(self, colour: str) -> None:
        self._maybe_fail(f"stop:{colour}")
        self.running_releases.pop(colour, None)

    def status(self) -> TargetStatus:
        colours = {c: {"version": r.version} for c, r in self.running_releases.items()}
        return TargetStatus(self.active, colours, [])
