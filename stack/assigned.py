"""Which release each colour runs: one small file per colour, read when its program starts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kitcore.colours import check_colour
from kitcore.release import Release
from stack.nginx import write_atomic


@dataclass(frozen=True)
class Assignment:
    """A colour's release and the virtualenv of that release's lock."""

    release: Release
    venv: Path


def colour_file(state_dir: Path, colour: str) -> Path:
    """Return the file naming the release of colour."""
    return state_dir / "colours" / f"{check_colour(colour)}.json"


def read_assignment(state_dir: Path, colour: str) -> Assignment | None:
    """Return what colour was last started with, if anything."""
    path = colour_file(state_dir, colour)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return Assignment(Release(data["version"], Path(data["release_dir"])), Path(data["venv"]))


def read_release(state_dir: Path, colour: str) -> Release | None:
    """Return the release colour was last started with, if any."""
    assignment = read_assignment(state_dir, colour)
    return assignment.release if assignment else None


def write_assignment(state_dir: Path, colour: str, assignment: Assignment) -> None:
    """Record what colour's program runs on its next start."""
    data = {
        "release_dir": str(assignment.release.source_dir),
        "version": assignment.release.version,
        "venv": str(assignment.venv),
    }
    write_atomic(colour_file(state_dir, colour), json.dumps(data, indent=2) + "\n")
