"""What the rollout tool remembers: each colour's release and standing, the rollout in progress
and the history. Kept by a Store (store.py: a file locally, the cluster's own objects on
Kubernetes)."""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from typing import Any

from kitcore.release import Release

HISTORY_LIMIT = 50
# A colour's standing: started but not verified yet; serving after its verification; served
# before the current one (a rollback target while it is in the history); failed its rollout
# (never a rollback target, never switched to by `rollout switch`).
CANDIDATE, PROMOTED, PREVIOUS, FAILED = "candidate", "promoted", "previous", "failed"


@dataclass
class RolloutRecord:
    """One rollout: what it moved, how far it got and how it ended."""

    id: str
    version: str
    from_colour: str
    to_colour: str
    started: float
    pid: int
    phase: str = "start"
    outcome: str = "running"  # running|promoted|failed|rolled_back|interrupted
    exit_code: int | None = None
    reason: str = ""
    finished: float | None = None
    report_dir: str = ""
    phases: list[tuple[str, float]] = field(default_factory=list)
    kind: str = "deploy"  # deploy|switch|rollback
    source_dir: str = ""  # the release's source tree (local releases run from it)
    image: str | None = None  # the release's image (image targets)
    switched: bool = False  # a switch to to_colour was attempted
    verified: bool = False  # to_colour passed post-switch verification
    holder: str = ""  # who ran it (user@host, pid, CI run)


@dataclass
class ColourRecord:
    """The release a colour last ran, and its standing."""

    version: str
    standing: str
    at: float
    image: str | None = None
    source_dir: str = ""

    @classmethod
    def of(cls, release: Release, standing: str) -> ColourRecord:
        """Record a release with its standing, now."""
        return cls(release.version, standing, time.time(), release.image, str(release.source_dir))


@dataclass
class State:
    """Each colour's record, the rollout in progress and the history."""

    active: str | None = None
    colours: dict[str, ColourRecord] = field(default_factory=dict)
    current: RolloutRecord | None = None
    history: list[RolloutRecord] = field(default_factory=list)

    def mark(self, colour: str, release: Release, standing: str) -> None:
        """Record the colour's release and standing."""
        self.colours[colour] = ColourRecord.of(release, standing)

    def standing(self, colour: str) -> str:
        """Return the colour's standing ('' when it never ran a release)."""
        record = self.colours.get(colour)
        return record.standing if record else ""

    def to_json(self) -> str:
        """Serialise (the history trimmed to its last HISTORY_LIMIT records)."""
        self.history = self.history[-HISTORY_LIMIT:]
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> State:
        """Parse what to_json wrote (unknown keys ignored for forward compatibility)."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> State:
        """Build a State from its JSON form."""
        return cls(
            active=raw.get("active"),
            colours={c: _known(ColourRecord, r) for c, r in raw.get("colours", {}).items()},
            current=_record(raw["current"]) if raw.get("current") else None,
            history=[_record(r) for r in raw.get("history", [])],
        )


def _known(cls: type[Any], raw: dict[str, Any]) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in raw.items() if k in names})


def _record(raw: dict[str, Any]) -> RolloutRecord:
    rec: RolloutRecord = _known(RolloutRecord, raw)
    rec.phases = [(str(p), float(t)) for p, t in rec.phases]
    return rec
