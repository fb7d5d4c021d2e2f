"""Which release each colour runs: one small file per colour, read when its program starts."""

from __future__ import annotations

import json
from pathlib import Path

from kitcore.colours import check_colour
from kitcore.release import Release
from stack.nginx import write_atomic


def colour_file(state_dir: Path, colour: str) -> Path:
    """Return the file naming the release of colour."""
    return state_dir / "colours" / f"{check_colour(colour)}.json"


def read_release(state_dir: Path, colour: str) -> Release | None:
    """Return the release colour was last started with, if any."""
    path = colour_file(state_dir, colour)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return Release(data["version"], Path(data["release_dir"]))


def write_release(state_dir: Path, colour: str, release: Release) -> None:
    """Record the release colour's program runs on its next start."""
    data = {"release_dir": str(release.source_dir), "version": release.version}
    write_atomic(colour_file(state_dir, colour), json.dumps(data, indent=2) + "\n")
