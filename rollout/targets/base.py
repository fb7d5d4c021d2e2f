"""The interface a rollout target implements; the flow and the commands are written once on it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from kitcore.contract import Contract
from kitcore.release import Release
from rollout.store import Store
from rollout.verify import loadrun
from rollout.verify.gates import GateConfig
from rollout.verify.loadrun import LoadResult, LoadSpec
from rollout.verify.observe import Observer
from rollout.verify.verdict import Verdict

# Where a gate's load goes: the idle colour's preview route, or the public route (active colour).
Route = Literal["preview", "public"]


@dataclass(frozen=True)
class LoadRequest:
    """One bounded load run the flow asks of a target: which gate, where, with what."""

    cfg: GateConfig
    route: Route
    out_dir: Path
    load: LoadSpec
    env: dict[str, str]
    # Set when the run must stop early (a control beside an interrupted gate); None: never.
    cancel: threading.Event | None = None


@dataclass
class TargetStatus:
    """What the target itself reports (the source of truth for the active colour)."""

    active: str | None
    colours: dict[str, dict[str, str]]
    processes: list[dict[str, str]]


@dataclass(frozen=True)
class ReleaseRequest:
    """What the user asked to release: a version, a prepared source tree, an image."""

    version: str | None = None
    release_dir: Path | None = None
    image: str | None = None


class Target(Protocol):
    """Operations the blue-green flow needs from a place that runs colours."""

    name: str
    contract: Contract
    environment: str  # the gates file's section: local, or the cluster's overlay name

    def store(self) -> Store:
        """Return where this target keeps the rollout state and lock."""

    def make_release(self, request: ReleaseRequest, releases_dir: Path) -> Release:
        """Turn the request into a release this target can run (refusing what it cannot)."""

    def ensure_ready(self) -> None:
        """Make sure the platform is reachable (stack up / cluster reachable)."""

    def active_colour(self) -> str:
        """Return the colour public traffic goes to, as the routing layer says."""

    def running(self, colour: str) -> bool:
        """Tell whether the colour runs (and could take traffic)."""

    def release_of(self, colour: str) -> Release | None:
        """Return the release the colour was last started with, if any."""

    def start(self, colour: str, release: Release) -> None:
        """Run the release on the colour (restart or scale up); return once it answers."""

    def pending_migrations(self, release: Release) -> list[Path]:
        """List the release's migration scripts not applied to the database yet."""

    def migrate(self, release: Release) -> None:
        """Apply the release's migrations once."""

    def verify(self, colour: str, release: Release, out_dir: Path) -> Verdict:
        """Run testinfra and smoke checks on the colour (through its preview route)."""

    def smoke(self, colour: str, version: str | None) -> Verdict:
        """Run the smoke checks on the colour through its preview route."""

    def public_url(self) -> str:
        """Return the URL that serves public traffic."""

    def preview_url(self) -> str:
        """Return the URL that reaches the idle colour."""

    def ca_cert(self) -> Path | None:
        """Return the CA bundle clients must trust for those URLs, if any."""

    def run_load(self, request: LoadRequest) -> LoadResult:
        """Run one bounded locust gate against a route and return its verdict."""

    def observe(self, colour: str, since: float) -> Observer:
        """Start watching what users of the colour see from `since` (the switch) on."""

    def switch(self, colour: str) -> None:
        """Send public traffic to the colour; return only once the switch is complete."""

    def stop(self, colour: str) -> None:
        """Stop (scale down) a colour that no longer receives traffic."""

    def status(self) -> TargetStatus:
        """Describe colours, versions and processes."""


def load_from_here(target: Target, request: LoadRequest) -> LoadResult:
    """Run the gate's locust on this machine against the target's URL for the route."""
    url = target.preview_url() if request.route == "preview" else target.public_url()
    return loadrun.run_gate(
        request.cfg, url, target.ca_cert(), request.out_dir, request.env, load=request.load,
        cancel=request.cancel,
    )  # fmt: skip
