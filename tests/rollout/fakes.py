"""An in-memory Target for unit tests of the flow's decisions (the real one is tested live)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rollout.targets.base import CheckResult, Release, TargetError, TargetStatus


@dataclass
class FakeTarget:
    """Records every call; failures injected per operation."""

    name: str = "fake"
    active: str = "blue"
    running: dict[str, str] = field(default_factory=lambda: {"blue": "v1"})
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

    def ensure_ready(self) -> None:
        self._maybe_fail("ready")

    def active_colour(self) -> str:
        return self.active

    def deploy_idle(self, colour: str, release: Release) -> None:
        self._maybe_fail(f"deploy:{colour}")
        self.running[colour] = release.version

    def pending_migrations(self, release: Release) -> list[Path]:
        return self.pending

    def migrate(self, release: Release) -> None:
        self._maybe_fail("migrate")
        self.pending = []

    def verify(self, colour: str, release: Release, out_dir: Path) -> CheckResult:
        self.calls.append(f"verify:{colour}")
        ok = "verify" not in self.fail
        return CheckResult(ok, "fake checks", [] if ok else ["test_listens: nothing listens"])

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
        self.running.pop(colour, None)

    def status(self) -> TargetStatus:
        return TargetStatus(self.active, {c: {"version": v} for c, v in self.running.items()}, [])
