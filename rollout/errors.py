"""The errors of the rollout tool, each carrying what the CLI needs to say and exit with."""

from __future__ import annotations

from rollout.exitcodes import Exit


class RolloutFailed(Exception):
    """A step failed; carries the exit code and the reason."""

    def __init__(self, code: Exit, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class TargetError(RuntimeError):
    """A target operation failed (the message says which and why)."""


class RolloutLocked(RuntimeError):
    """Another rollout holds the lock."""


class StateConflict(RolloutLocked):
    """Someone else wrote the rollout state since it was read (the lock was lost)."""
