"""The commands, written once over the Target interface: deploy, switch, rollback, status."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from rich.console import Console
from rich.table import Table

from kitcore.colours import COLOURS, other
from kitcore.release import Release
from rollout.errors import RolloutFailed, TargetError
from rollout.exitcodes import Exit
from rollout.flow import Options, Rollout
from rollout.outcome import Outcome
from rollout.recovery import close_stale
from rollout.report.windows import report_dir
from rollout.state import RolloutRecord, State, StateStore
from rollout.targets.base import Target


def deploy(
    target: Target, store: StateStore, release: Release, opts: Options, console: Console
) -> Outcome:
    """Run the gated flow for the release and say where its report is."""
    outcome = Rollout(target, store, release, opts, console).run(
        report_dir(opts.reports_base, release.version)
    )
    colour = "green" if outcome.code == Exit.PROMOTED else "red"
    console.print(f"[bold {colour}]{outcome.reason}[/] (exit {int(outcome.code)})")
    console.print(f"report: {outcome.report_dir}/summary.txt")
    return outcome


def switch(target: Target, store: StateStore, console: Console, to: str | None = None) -> Exit:
    """Send traffic to the other colour (started first if it is down), smoke-checked first."""
    with store.lock("switch"):
        state = store.load()
        close_stale(state)
        active = target.active_colour()
        dest = to or other(active)
        if dest == active:
            console.print(f"[yellow]{dest} is already active[/]")
            return Exit.PROMOTED
        release = target.release_of(dest)
        if release is None:
            raise RolloutFailed(Exit.NOT_READY, f"{dest} has never run a release")
        _ensure_running(target, dest, release, console)
        return _switch_to(target, store, state, console, dest, release, "switch")


def rollback(target: Target, store: StateStore, console: Console) -> Exit:
    """Put the previous promoted release back: on the idle colour, smoke-checked, then switch."""
    with store.lock("rollback"):
        state = store.load()
        close_stale(state)
        active = target.active_colour()
        idle = other(active)
        previous = previous_release(state, target.release_of(active))
        if previous is None:
            raise RolloutFailed(Exit.NOT_READY, "no previous promoted release to roll back to")
        console.print(f"» rolling back to {previous.version} on {idle}")
        current = target.release_of(idle)
        if current is not None and current.version == previous.version:
            _ensure_running(target, idle, current, console)
        else:
            _start(target, idle, previous, console)
        return _switch_to(target, store, state, console, idle, previous, "rollback")


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
    store: StateStore,
    state: State,
    console: Console,
    dest: str,
    release: Release,
    kind: str,
) -> Exit:
    """Smoke-check dest through the preview route, switch, and record it."""
    verdict = target.smoke(dest, release.version or None)
    if not verdict.passed:
        raise RolloutFailed(
            Exit.NOT_READY, f"{dest} is not healthy: {'; '.join(verdict.reasons[:3])}"
        )
    active = other(dest)
    try:
        target.switch(dest)
    except TargetError as exc:
        raise RolloutFailed(Exit.SWITCH_FAILED, str(exc)) from exc
    state.active = dest
    state.versions[dest] = release.version
    now = time.time()
    state.history.append(
        RolloutRecord(
            id=uuid.uuid4().hex[:8], version=release.version or "?", from_colour=active,
            to_colour=dest, started=now, pid=0, phase=kind, kind=kind, outcome="promoted",
            exit_code=0, finished=now, source_dir=str(release.source_dir), image=release.image,
            switched=True, verified=True,
        )
    )  # fmt: skip
    store.save(state)
    console.print(f"[green]✓[/] public traffic on {dest} ({release.version or release.image})")
    return Exit.PROMOTED


def status(target: Target | None, store: StateStore, console: Console) -> Exit:
    """Print the active colour, versions, the rollout in progress and the recent history."""
    state = store.load()
    if state.current is not None:
        rec = state.current
        if store.is_locked():
            console.print(f"[cyan]rollout {rec.id} of {rec.version} running, phase {rec.phase}[/]")
        else:
            console.print(
                f"[bold red]rollout {rec.id} of {rec.version} was interrupted during "
                f"'{rec.phase}'[/] (its process {rec.pid} is gone); traffic: see active below"
            )
    live = None
    if target is not None:
        try:
            live = target.status()
        except TargetError as exc:
            console.print(f"[yellow]target not reachable: {exc}[/]")
    table = Table(title="colours")
    for col in ("colour", "routes", "state", "port", "running version", "state file version"):
        table.add_column(col)
    active = live.active if live else state.active
    for colour in COLOURS:
        mark = " (active)" if colour == active else ""
        info = live.colours.get(colour, {}) if live else {}
        table.add_row(
            colour + mark, info.get("routes", "-"), info.get("state", "unknown"),
            info.get("port", "-"), info.get("version", "-"), state.versions.get(colour) or "-",
        )  # fmt: skip
    console.print(table)
    history = Table(title="recent rollouts")
    for col in ("id", "version", "from→to", "kind", "outcome", "exit", "phase", "reason"):
        history.add_column(col)
    for rec in state.history[-8:]:
        history.add_row(
            rec.id, rec.version, f"{rec.from_colour}→{rec.to_colour}", rec.kind, rec.outcome,
            str(rec.exit_code), rec.phase, rec.reason[:60],
        )  # fmt: skip
    console.print(history)
    return Exit.PROMOTED
