"""The small interface a rollout target implements; rollout.flow is written once on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

COLOURS = ("blue", "green")


def other(colour: str) -> str:
    """Return the other colour."""
    return COLOURS[1] if colour == COLOURS[0] else COLOURS[0]


class TargetError(RuntimeError):
    """A target operation failed (the message says which and why)."""


class TargetNotImplemented(TargetError):
    """The requested target does not exist yet."""


@dataclass(frozen=True)
class Release:
    """What is being rolled out: a version, its source tree and (for image targets) its image."""

    version: str
    source_dir: Path
    image: str | None = None


@dataclass
class CheckResult:
    """Outcome of verifying a colour: testinfra and HTTP smoke checks."""

    passed: bool
    summary: str
    failures: list[str] = field(default_factory=list)
    artefacts: list[Path] = field(default_factory=list)


@dataclass
class TargetStatus:
    """What the target itself reports (the source of truth for the active colour)."""

    active: str | None
    colours: dict[str, dict[str, str]]
    processes: list[dict[str, str]]


class Target(Protocol):
    """Operations the blue-green flow needs from a place that runs colours."""

    name: str

    def ensure_ready(self) -> None:
        """Make sure the platform is reachable (stack up / cluster reachable)."""

    def active_colour(self) -> str:
        """Return the colour public traffic goes to, as the routing layer says."""

    def deploy_idle(self, colour: str, release: Release) -> None:
        """Run the release on the idle colour and wait until it answers with that version."""

    def pending_migrations(self, release: Release) -> list[Path]:
        """List the release's migration scripts not applied to the database yet."""

    def migrate(self, release: Release) -> None:
        """Apply the release's migrations once."""

    def verify(self, colour: str, release: Release, out_dir: Path) -> CheckResult:
        """Run testinfra and smoke checks on the colour (through its preview route)."""

    def public_url(self) -> str:
        """Return the URL that serves public traffic."""

    def preview_url(self) -> str:
        """Return the URL that reaches the idle colour."""

    def ca_cert(self) -> Path | None:
        """Return the CA bundle clients must trust for those URLs, if any."""

    def switch(self, colour: str) -> None:
        """Send public traffic to the colour; return only once the switch is complete."""

    def stop(self, colour: str) -> None:
        """Stop (scale down) a colour that no longer receives traffic."""

    def status(self) -> TargetStatus:
        """Describe colours, versions and processes."""
