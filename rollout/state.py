"""Rollout state in one small JSON file, written atomically, guarded by an exclusive lock."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollout.errors import RolloutLocked

HISTORY_LIMIT = 50


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


@dataclass
class State:
    """Active colour, version per colour, the rollout in progress and the history."""

    active: str | None = None
    versions: dict[str, str | None] = field(default_factory=dict)
    current: RolloutRecord | None = None
    history: list[RolloutRecord] = field(default_factory=list)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> State:
        """Build a State from its JSON form (unknown keys ignored for forward compatibility)."""
        known = {f.name for f in dataclasses.fields(RolloutRecord)}

        def record(r: dict[str, Any]) -> RolloutRecord:
            rec = RolloutRecord(**{k: v for k, v in r.items() if k in known})
            rec.phases = [(str(p), float(t)) for p, t in rec.phases]
            return rec

        return cls(
            active=raw.get("active"),
            versions=dict(raw.get("versions", {})),
            current=record(raw["current"]) if raw.get("current") else None,
            history=[record(r) for r in raw.get("history", [])],
        )


class StateStore:
    """Load and save the state file; hold the rollout lock beside it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_suffix(".lock")

    def load(self) -> State:
        """Read the state (an empty state when the file does not exist yet)."""
        try:
            raw = json.loads(self.path.read_text())
        except FileNotFoundError:
            return State()
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"state file {self.path} is unreadable: {exc}") from exc
        return State.from_dict(raw)

    def save(self, state: State) -> None:
        """Write the state atomically: temp file in the same dir, fsync, os.replace, fsync dir."""
        state.history = state.history[-HISTORY_LIMIT:]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(dataclasses.asdict(state), indent=2, sort_keys=True)
        fd, tmp = tempfile.mkstemp(prefix=".rollout-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def holder(self) -> str:
        """Describe who holds the lock (pid and start time written into the lock file)."""
        try:
            return self.lock_path.read_text().strip() or "unknown holder"
        except OSError:
            return "unknown holder"

    def is_locked(self) -> bool:
        """Say whether a rollout currently holds the lock (without taking it)."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False

    @contextlib.contextmanager
    def lock(self, what: str) -> Iterator[None]:
        """Hold the exclusive rollout lock; refuse at once if another process holds it."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        # The kernel drops a flock when its holder dies, so a crash never leaves a stale lock.
        fh = open(self.lock_path, "a+")  # noqa: SIM115 - held open for the whole block
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RolloutLocked(
                    f"another rollout is running ({self.holder()}); wait for it or check "
                    "`rollout status`"
                ) from None
            fh.seek(0)
            fh.truncate()
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            fh.write(f"pid {os.getpid()}, {what}, since {stamp}\n")
            fh.flush()
            yield
        finally:
            fh.close()
