"""Process ids of a running stack's programs and their children, for fault injection."""

from __future__ import annotations

from pathlib import Path

from stack.supervisor import RUNNING, Supervisor


def program_pid(supervisor: Supervisor, name: str) -> int | None:
    """Return the pid supervisor runs program name as (a colour's gunicorn master), or None."""
    info = supervisor.info(name)
    return int(info["pid"]) if info["statename"] == RUNNING and info["pid"] else None


def children(pid: int) -> list[int]:
    """Return pid's direct children (gunicorn workers of a master, an RQ worker's work horse)."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []
    for task in tasks:
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue  # the thread ended meanwhile
    return sorted(set(found))
