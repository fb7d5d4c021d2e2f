"""Per-colour release files: which release and version a colour's program runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rollout.stack.config import check_colour
from rollout.stack.nginx import write_atomic


@dataclass(frozen=True)
class Release:
    """A release a colour runs: a source tree and its version string."""

    release_dir: Path
    version: str


def colour_file(state_dir: Path, colour: str) -> Path:
    """Return the file naming the release of colour."""
    return state_dir / "colours" / f"{check_colour(colour)}.json"


def read_release(state_dir: Path, colour: str) -> Release | None:
    """Return the release colour was last started with, if any."""
    path = colour_file(state_dir, colour)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return Release(Path(data["release_dir"]), data["version"])


def write_release(state_dir: Path, colour: str, release: Release) -> None:
    """Record the release colour's program runs on its next start."""
    data = {"release_dir": str(release.release_dir), "version": release.version}
    write_atomic(colour_file(state_dir, colour), json.dumps(data, indent=2) + "\n")
