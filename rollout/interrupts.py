"""Stopping a rollout half-way: Ctrl-C, SIGTERM, SIGHUP, or `rollout abort` from anywhere.

A cancelled CI job gets SIGTERM (then SIGKILL a few seconds later), a closed terminal SIGHUP:
both stop the rollout exactly like Ctrl-C, and recovery then runs shielded from further
signals. `rollout abort` asks through the store; the rollout's watch thread turns the request
into a SIGTERM to its own process, which also wakes any sleep or wait in progress.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_abort_reason: list[str] = []  # set by the watch thread, read by the signal handler


class Interrupted(KeyboardInterrupt):
    """The rollout was told to stop; the message says by what."""


def _raise(signum: int, _frame: FrameType | None) -> None:
    reason = _abort_reason.pop() if _abort_reason else signal.Signals(signum).name
    raise Interrupted(reason)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Let SIGINT, SIGTERM and SIGHUP stop the block with Interrupted."""
    previous = {sig: signal.signal(sig, _raise) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Ignore further stop signals until the block (recovery) is done."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class AbortWatch:
    """A thread that asks `requested()` every `every` seconds and stops the rollout on a yes."""

    def __init__(self, requested: Callable[[], str], every: float = 2.0) -> None:
        self.requested, self.every = requested, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="abort-watch", daemon=True)

    def __enter__(self) -> AbortWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                who = self.requested()
            except Exception:  # noqa: S112 - a failed look is retried on the next tick
                continue
            if who:
                _abort_reason.append(f"aborted by {who}")
                os.kill(os.getpid(), signal.SIGTERM)
                return
