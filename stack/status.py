"""What `status` reports: processes, the active colour, each colour's release."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class ProcessStatus:
    """One supervised program."""

    name: str
    pid: int | None
    state: str


@dataclass(frozen=True)
class ColourStatus:
    """One colour: where it listens and which release it runs."""

    colour: str
    port: int
    state: str
    version: str | None
    release_dir: str | None
    routes: str  # "public", "preview" or ""


@dataclass(frozen=True)
class StackStatus:
    """The whole local stack at one moment."""

    processes: list[ProcessStatus]
    active_colour: str | None
    colours: dict[str, ColourStatus] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def running(self) -> list[str]:
        """Return the names of the programs in state RUNNING."""
        return [p.name for p in self.processes if p.state == "RUNNING"]

    def render(self, console: Console) -> None:
        """Print the status as rich tables."""
        if not self.processes:
            console.print("local stack: not running")
            return
        console.print(f"local stack: active colour [bold]{self.active_colour or '-'}[/]")
        procs = Table(title="processes")
        for column in ("program", "state", "pid"):
            procs.add_column(column)
        for p in self.processes:
            style = "green" if p.state == "RUNNING" else "yellow"
            procs.add_row(p.name, f"[{style}]{p.state}[/]", str(p.pid or "-"))
        console.print(procs)
        colours = Table(title="colours")
        for column in ("colour", "routes", "state", "port", "version", "release"):
            colours.add_column(column)
        for c in self.colours.values():
            colours.add_row(
                c.colour,
                c.routes or "-",
                c.state,
                str(c.port),
                c.version or "-",
                c.release_dir or "-",
            )
        console.print(colours)
        for name, url in self.urls.items():
            console.print(f"{name:>8}: {url}")
