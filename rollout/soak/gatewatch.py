"""When a gate's load runs: the first request the idle colour answers, read from Nginx's log.

A fault "inside the gate" must land in the load the gate measures, not in locust's start-up
(a few seconds, and a sign-in that waits out a restarting database), which the gate never sees.
"""

from __future__ import annotations

import json
from pathlib import Path


class LogTail:
    """The lines appended to a file since this object was made (a partial last line waits)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0
        self.partial = b""

    def lines(self) -> list[str]:
        """Return the complete lines appended since the last call."""
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        self.offset += len(data)
        *complete, self.partial = (self.partial + data).split(b"\n")
        return [line.decode(errors="replace") for line in complete]


def answered_by(lines: list[str], colour: str, since: float) -> bool:
    """Tell whether any kit_json line is a request the colour answered at or after since."""
    for raw in lines:
        try:
            line = json.loads(raw)
            if line.get("colour") == colour and float(line["msec"]) >= since:
                return True
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # not a kit_json line (or one cut by a rotation)
    return False
