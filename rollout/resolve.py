"""A rollout left unfinished by a process that died (SIGKILL, lost runner): settle it first.

The record in the store says how far it got; the target says where traffic really is. An
unverified colour that serves is switched away from (the old colour is only stopped after the
new one is verified, so it still runs); a verified one is what was promoted; a new colour that
never took traffic is marked failed and stopped. Every command that moves traffic runs this
before anything else, so the next rollout never takes an unverified colour for a good one.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from rich.console import Console

from kitcore.release import Release
from rollout.errors import RolloutFailed
from rollout.exitcodes import Exit
from rollout.state import FAILED, PREVIOUS, PROMOTED, RolloutRecord, State
from rollout.targets.base import Target


def resolve_unfinished(target: Target, state: State, console: Console) -> RolloutRecord | None:
    """Settle state.current (if any), file it in the history and return it."""
    rec = state.current
    if rec is None:
        return None
    console.print(
        f"[yellow]rollout {rec.id} of {rec.version} ({rec.holder or f'pid {rec.pid}'}) was left "
        f"unfinished during '{rec.phase}': settling it first[/]"
    )
    old, new = rec.from_colour, rec.to_colour
    serving = target.active_colour()
    new_release = Release(rec.version, Path(rec.source_dir or "."), rec.image)
    if serving == new and rec.verified:
        state.mark(new, new_release, PROMOTED)
        _demote(state, old)
        rec.outcome, how = "promoted", f"{new} had passed its verification: it stays"
    elif serving == new:
        _restore(target, state, old, console)
        state.mark(new, new_release, FAILED)
        rec.outcome, how = "interrupted", f"{new} was never verified: traffic back on {old}"
    else:
        state.mark(new, new_release, FAILED)
        with contextlib.suppress(Exception):
            target.stop(new)  # nothing routes to it
        rec.outcome, how = "interrupted", f"traffic never left {old}; {new} stopped"
    rec.reason = f"the rollout process died during {rec.phase}; {how}"
    rec.finished = time.time()
    state.history.append(rec)
    state.current = None
    state.active = target.active_colour()
    console.print(f"  [green]✓[/] {how}")
    return rec


def _demote(state: State, colour: str) -> None:
    record = state.colours.get(colour)
    if record is not None and record.standing == PROMOTED:
        record.standing = PREVIOUS


def _restore(target: Target, state: State, old: str, console: Console) -> None:
    """Send traffic back to the old colour, starting it from its record if it is down."""
    if not target.running(old):
        record = state.colours.get(old)
        if record is None:
            raise RolloutFailed(Exit.ROLLBACK_FAILED, f"{old} is down and its release unknown")
        console.print(f"» starting {record.version} on {old} first")
        target.start(old, Release(record.version, Path(record.source_dir or "."), record.image))
    console.print(f"» switching traffic back to {old}")
    target.switch(old)
