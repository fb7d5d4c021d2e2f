"""The commands, written once over the Target interface: deploy, switch, rollback, abort.

Every command that moves traffic takes the rollout lock, settles a rollout left unfinished by
a dead process first (resolve.py), and stops like a deploy does on Ctrl-C, SIGTERM or SIGHUP.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from kitcore.colours import other
from kitcore.release import Release
from rollout.errors import RolloutFailed, TargetError
from rollout.exitcodes import Exit
from rollout.flow import Options, Rollout
from rollout.interrupts import interruptible
from rollout.outcome import Outcome
from rollout.report.windows import report_dir
from rollout.resolve import resolve_unfinished
from rollout.state import FAILED, PREVIOUS, PROMOTED, RolloutRecord, State
from rollout.store import Store, identity
from rollout.targets.base import Target

ABORT_WAIT_S = 120.0


def deploy(
    target: Target, store: Store, release: Release, opts: Options, console: Console
) -> Outcome:
    """Run the gated flow for the release and say where its report is."""
    outcome = Rollout(target, store, release, opts, console).run(
        report_dir(opts.reports_base, release.version)
    )
    colour = "green" if outcome.code == Exit.PROMOTED else "red"
    console.print(f"[bold {colour}]{escape(outcome.reason)}[/] (exit {int(outcome.code)})")
    console.print(f"report: {outcome.report_dir}/summary.txt")
    return outcome


def switch(target: Target, store: Store, console: Console, to: str | None = None) -> Exit:
    """Send traffic to the other colour (started first if it is down), smoke-checked first."""
    with store.lock("switch"), interruptible():
        state = store.load()
        resolve_unfinished(target, state, console)
        active = target.active_colour()
        dest = to or other(active)
        if dest == active:
            store.save(state)
            console.print(f"[yellow]{dest} is already active[/]")
            return Exit.PROMOTED
        release = target.release_of(dest)
        if release is None:
            raise RolloutFailed(Exit.NOT_READY, f"{dest} has never run a release")
        if state.standing(dest) == FAILED:
            raise RolloutFailed(
                Exit.NOT_READY,
                f"{dest} runs {state.colours[dest].version}, which failed its rollout: "
                "deploy a release or `rollout rollback`",
            )
        _ensure_running(target, dest, release, console)
        return _switch_to(target, store, state, console, dest, release, "switch")


def rollback(target: Target, store: Store, console: Console) -> Exit:
    """Put the previous promoted release back: on the idle colour, smoke-checked, then switch."""
    with store.lock("rollback"), interruptible():
        state = store.load()
        resolve_unfinished(target, state, console)
        active = target.active_colour()
        idle = other(active)
        previous = previous_release(state, target.release_of(active))
        if previous is None:
            store.save(state)
            raise RolloutFailed(Exit.NOT_READY, "no previous promoted release to roll back to")
        console.print(f"» rolling back to {previous.version} on {idle}")
        current = target.release_of(idle)
        same = current is not None and (current.version, current.image) == (
            previous.version, previous.image or current.image
        )  # fmt: skip
        if same and current is not None and state.standing(idle) != FAILED:
            _ensure_running(target, idle, current, console)
        else:
            _start(target, idle, previous, console)
        return _switch_to(target, store, state, console, idle, previous, "rollback")


def abort(target: Target, store: Store, console: Console) -> Exit:
    """Stop the rollout in progress (it recovers), or settle one its dead process left."""
    if store.is_locked():
        store.request_abort(identity("abort"))
        console.print(f"» asked the running rollout to stop ({store.holder()})")
        deadline = time.monotonic() + ABORT_WAIT_S
        while store.is_locked():
            if time.monotonic() > deadline:
                raise RolloutFailed(Exit.ERROR, f"it did not stop within {ABORT_WAIT_S:.0f}s")
            time.sleep(0.5)
        last = store.load().history[-1:]
        console.print(f"[green]✓[/] stopped: {escape(last[0].reason) if last else 'no record'}")
        return Exit.PROMOTED
    with store.lock("abort"), interruptible():
        state = store.load()
        if resolve_unfinished(target, state, console) is None:
            console.print("no rollout in progress: nothing to abort")
            return Exit.PROMOTED
        store.save(state)
        return Exit.PROMOTED


def previous_release(state: State, serving: Release | None) -> Release | None:
    """Return the newest promoted release other than the one serving now."""
    promoted = [
        r for r in state.history if r.outcome == "promoted" and r.kind in ("deploy", "rollback")
    ]
    for rec in reversed(promoted):
        is_serving = serving is not None and (
            rec.version == serving.version or (rec.image and rec.image == serving.image)
        )
        if not is_serving and (rec.source_dir or rec.image):
            source = Path(rec.source_dir) if rec.source_dir else Path(".")
            return Release(rec.version, source, rec.image)
    return None


def _ensure_running(target: Target, colour: str, release: Release, console: Console) -> None:
    if not target.running(colour):
        _start(target, colour, release, console)


def _start(target: Target, colour: str, release: Release, console: Console) -> None:
    console.print(f"» starting {release.version} on {colour}")
    try:
        target.start(colour, release)
    except TargetError as exc:
        raise RolloutFailed(Exit.DEPLOY_FAILED, str(exc)) from exc


def _switch_to(
    target: Target,
    store: Store,
    state: State,
    console: Console,
    dest: str,
    release: Release,
    kind: str,
) -> Exit:
    """Smoke-check dest through the preview route, switch, and record it."""
    verdict = target.smoke(dest, release.version or None)
    if not verdict.passed:
        reasons = "; ".join(verdict.reasons[:3])
        store.save(state)
        raise RolloutFailed(Exit.NOT_READY, f"{dest} is not healthy: {reasons}")
    active = other(dest)
    try:
        target.switch(dest)
    except TargetError as exc:
        raise RolloutFailed(Exit.SWITCH_FAILED, str(exc)) from exc
    state.active = dest
    state.mark(dest, release, PROMOTED)
    if state.standing(active) == PROMOTED:
        state.colours[active].standing = PREVIOUS
    now = time.time()
    state.history.append(
        RolloutRecord(
            id=uuid.uuid4().hex[:8], version=release.version or "?", from_colour=active,
            to_colour=dest, started=now, pid=0, phase=kind, kind=kind, outcome="promoted",
            exit_code=0, finished=now, source_dir=str(release.source_dir), image=release.image,
            switched=True, verified=True, holder=identity(kind),
        )
    )  # fmt: skip
    store.save(state)
    console.print(f"[green]✓[/] public traffic on {dest} ({release.version or release.image})")
    return Exit.PROMOTED
