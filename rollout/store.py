"""Where the rollout state and lock live: the Store interface and the local file store.

On a cluster the state and the lock live in the cluster (rollout/kube/store.py); locally, in
the stack's state dir: one JSON file written atomically, and an flock that the kernel drops
when its holder dies, so a crash never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from rollout.errors import RolloutLocked, StateConflict
from rollout.state import State

__all__ = ["FileStore", "StateConflict", "Store", "identity"]


class Store(Protocol):
    """The state and the lock of one target."""

    def load(self) -> State:
        """Read the state (an empty one when nothing was stored yet)."""

    def save(self, state: State) -> None:
        """Write the state; StateConflict when another writer got there first."""

    def lock(self, what: str) -> AbstractContextManager[None]:
        """Hold the rollout lock while the block runs; RolloutLocked names the holder."""

    def is_locked(self) -> bool:
        """Tell whether a rollout holds the lock now."""

    def holder(self) -> str:
        """Describe the lock's holder."""

    def request_abort(self, who: str) -> None:
        """Ask the rollout that holds the lock to stop (it recovers, then exits 130)."""

    def abort_requested(self) -> str:
        """Return who asked the running rollout to stop ('' when nobody did)."""


def identity(what: str) -> str:
    """Who is acting: user@host, pid, the CI run when there is one, and what."""
    run = os.environ.get("GITHUB_RUN_ID")
    ci = f", CI run {run}" if run else ""
    return f"{getpass.getuser()}@{socket.gethostname()} pid {os.getpid()}{ci}: {what}"


class FileStore:
    """The local target's state file and lock, beside each other in the stack's state dir."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_suffix(".lock")
        self.abort_path = path.with_suffix(".abort")

    def load(self) -> State:
        """Read the state (an empty state when the file does not exist yet)."""
        try:
            return State.from_json(self.path.read_text())
        except FileNotFoundError:
            return State()
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"state file {self.path} is unreadable: {exc}") from exc

    def save(self, state: State) -> None:
        """Write the state atomically: temp file in the same dir, fsync, os.replace, fsync dir."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = state.to_json()
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
        """Describe who holds the lock (written into the lock file when it was taken)."""
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
            fh.write(f"{identity(what)}, since {stamp}\n")
            fh.flush()
            self.abort_path.unlink(missing_ok=True)  # meant for a rollout that is gone
            yield
        finally:
            self.abort_path.unlink(missing_ok=True)
            fh.close()

    def request_abort(self, who: str) -> None:
        """Leave the request beside the lock; the holder's watch reads it within seconds."""
        self.abort_path.write_text(who + "\n")

    def abort_requested(self) -> str:
        """Return who asked the running rollout to stop ('' when nobody did)."""
        try:
            return self.abort_path.read_text().strip()
        except FileNotFoundError:
            return ""
