"""What a finished rollout hands back to its callers (CLI, demo, benchmark, tests, report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rollout.exitcodes import Exit
from rollout.state import RolloutRecord
from rollout.verify.expand_only import Finding
from rollout.verify.loadrun import LoadResult
from rollout.verify.verdict import Verdict


@dataclass(frozen=True)
class Event:
    """A moment of the rollout worth marking on the chart (deploy, gate, switch, stop...)."""

    name: str
    t: float


@dataclass
class Outcome:
    """Everything a caller needs to know about a finished rollout."""

    code: Exit
    reason: str
    record: RolloutRecord
    report_dir: Path
    events: list[Event] = field(default_factory=list)
    loads: dict[str, LoadResult] = field(default_factory=dict)
    verification: Verdict | None = None
    # Judgements beyond a gate's own thresholds: gate vs control, what users saw after the switch.
    verdicts: list[Verdict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    switch_window: tuple[float, float] | None = None
    active_after: str | None = None

    @property
    def background_rows(self) -> list[dict[str, object]]:
        """The background load's per-second timeline (empty without background load)."""
        bg = self.loads.get("background")
        return bg.timeline if bg is not None else []
