"""Manual operations beside the flow: switch, rollback and status."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from rich.console import Console
from rich.table import Table

from rollout.exitcodes import Exit
from rollout.flow import RolloutFailed, close_stale
from rollout.smoke import smoke
from rollout.state import RolloutRecord, State, StateStore
from rollout.targets.base import Release, Target, TargetError, other


def _record(state: State, kind: str, version: str, src: str, dest: str) -> RolloutRecord:
    return RolloutRecord(
        id=uuid.uuid4().hex[:8], version=version, from_colour=src, to_colour=dest,
        started=time.time(), pid=0, phase=kind,
    )  # fmt: skip


def switch_colours(
    state: State, target: Target, console: Console, to: str | None
) -> tuple[str, str] | None:
    """Return (active, destination) for a switch, or None (said on CONSOLE) if already there."""
    close_stale(state)
    active = target.active_colour()
    dest = to or other(active)
    if dest == active:
        console.print(f"[yellow]{dest} is already active[/]")
        return None
    return active, dest


def switch(target: Target, store: StateStore, console: Console, to: str | None = None) -> Exit:
    """Send traffic to the other colour after smoke-checking it through the preview route."""
    with store.lock("switch"):
        state = store.load()
        colours = switch_colours(state, target, console, to)
        if colours is None:
            return Exit.PROMOTED
        active, dest = colours
        version = state.versions.get(dest)
        failures = smoke(target.preview_url(), dest, version, target.ca_cert())
        if failures:
            raise RolloutFailed(Exit.NOT_READY, f"{dest} is not healthy: {'; '.join(failures[:3])}")
        rec = _record(state, "switch", version or "?", active, dest)
        try:
            target.switch(dest)
        except TargetError as exc:
            raise RolloutFailed(Exit.SWITCH_FAILED, str(exc)) from exc
        state.active = dest
        rec.outcome, rec.exit_code, rec.finished = "promoted", 0, time.time()
        state.history.append(rec)
        store.save(state)
        console.print(f"[green]✓[/] public traffic on {dest} ({version or 'unknown version'})")
        return Exit.PROMOTED


def _previous_version(state: State) -> str | None:
    """Return the version that was serving before the last promotion."""
    promoted = [r for r in state.history if r.outcome == "promoted" and r.phase != "switch"]
    if not promoted:
        return None
    last = promoted[-1]
    earlier = [r.version for r in promoted[:-1] if r.version != last.version]
    return earlier[-1] if earlier else None


def rollback(target: Target, store: StateStore, releases: Path, console: Console) -> Exit:
    """Put the previous version back: switch if its colour still runs, else redeploy it first."""
    state = store.load()
    active = target.active_colour()
    idle = other(active)
    if state.versions.get(idle):
        console.print(f"» {idle} still runs {state.versions[idle]}: switching back to it")
        return switch(target, store, console, idle)
    version = _previous_version(state)
    if version is None or not (releases / version).is_dir():
        raise RolloutFailed(Exit.NOT_READY, "no previous release to roll back to")
    with store.lock("rollback"):
        console.print(f"» starting previous version {version} on {idle}")
        try:
            target.deploy_idle(idle, Release(version, releases / version))
        except TargetError as exc:
            raise RolloutFailed(Exit.DEPLOY_FAILED, str(exc)) from exc
        state = store.load()
        state.versions[idle] = version
        store.save(state)
    return switch(target, store, console, idle)


def status(target: Target | None, store: StateStore, console: Console) -> Exit:
    """Print the active colour, versions, the rollout in progress and the recent history."""
    state = store.load()
    running = store.is_locked()
    if state.current is not None:
        rec = state.current
        if running:
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
    for colour in ("blue", "green"):
        mark = " (active)" if colour == active else ""
        info = live.colours.get(colour, {}) if live else {}
        table.add_row(
            colour + mark, info.get("routes", "-"), info.get("state", "unknown"),
            info.get("port", "-"), info.get("version", "-"), state.versions.get(colour) or "-",
        )  # fmt: skip
    console.print(table)
    history = Table(title="recent rollouts")
    for col in ("id", "version", "from→to", "outcome", "exit", "phase", "reason"):
        history.add_column(col)
    for rec in state.history[-8:]:
        history.add_row(
            rec.id, rec.version, f"{rec.from_colour}→{rec.to_colour}", rec.outcome,
            str(rec.exit_code), rec.phase, rec.reason[:60],
        )  # fmt: skip
    console.print(history)
    return Exit.PROMOTED
