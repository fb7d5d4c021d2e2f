"""`rollout status`: where traffic is, each colour's release and standing, the last rollouts."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kitcore.colours import COLOURS
from rollout.errors import TargetError
from rollout.exitcodes import Exit
from rollout.store import Store
from rollout.targets.base import Target


def status(target: Target | None, store: Store, console: Console) -> Exit:
    """Print the active colour, versions, the rollout in progress and the recent history."""
    state = store.load()
    if state.current is not None:
        rec = state.current
        if store.is_locked():
            console.print(
                f"[cyan]rollout {rec.id} of {rec.version} running, phase {rec.phase}[/] "
                f"({store.holder()})"
            )
        else:
            console.print(
                f"[bold red]rollout {rec.id} of {rec.version} was interrupted during "
                f"'{rec.phase}'[/] ({rec.holder or f'pid {rec.pid}'} is gone); the next "
                "deploy, switch, rollback or abort settles it first"
            )
    live = None
    if target is not None:
        try:
            live = target.status()
        except TargetError as exc:
            console.print(f"[yellow]target not reachable: {escape(str(exc))}[/]")
    table = Table(title="colours")
    for col in ("colour", "routes", "state", "port", "running version", "recorded", "standing"):
        table.add_column(col)
    active = live.active if live else state.active
    for colour in COLOURS:
        mark = " (active)" if colour == active else ""
        info = live.colours.get(colour, {}) if live else {}
        record = state.colours.get(colour)
        table.add_row(
            colour + mark, info.get("routes", "-"), info.get("state", "unknown"),
            info.get("port", "-"), info.get("version", "-"),
            record.version if record else "-", record.standing if record else "-",
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
