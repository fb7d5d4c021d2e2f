"""What users of a colour saw, from Nginx's kit_json access log (one JSON object a line).

A line belongs to the colour when its upstream answered with the colour's X-App-Color, or when
Nginx tried the colour's address and got no answer (a 502/504 carries no app header but is the
colour's failure all the same). Lines without an upstream (refused by Nginx itself) are no
colour's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollout.verify.gates import GateConfig
from rollout.verify.observe import Window, judge, percentile
from rollout.verify.verdict import Verdict


@dataclass(frozen=True)
class Hit:
    """One request of the access log: when it ended, its status, the upstream's time."""

    t: float
    status: int
    upstream_ms: float


def upstream_ms(raw: str) -> float:
    """Nginx's upstream_response_time ('0.012', '0.010, 0.004' after a retry, '-'), in ms."""
    parts = [p.strip() for p in raw.replace(":", ",").split(",")]
    return 1000 * sum(float(p) for p in parts if p and p != "-")


def belongs(line: dict[str, Any], colour: str, address: str) -> bool:
    """Tell whether a log line is a request the colour answered (or failed to)."""
    if line.get("colour"):
        return bool(line["colour"] == colour)
    tried = [a.strip() for a in str(line.get("upstream", "")).split(",")]
    return bool(address) and address in tried


def read_hits(path: Path, colour: str, address: str, since: float, until: float) -> list[Hit]:
    """The colour's requests that ended in [since, until], from a kit_json access log."""
    hits = []
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return []
    for raw in text.splitlines():
        try:
            line = json.loads(raw)
            t = float(line["msec"])
        except (ValueError, KeyError, TypeError):
            continue  # a line of an older format, or one cut by a rotation
        if since <= t <= until and belongs(line, colour, address):
            status = int(line.get("status", 0))
            hits.append(Hit(t, status, upstream_ms(str(line.get("upstream_time", "")))))
    return hits


def window(hits: list[Hit]) -> Window:
    """Reduce hits to a window: count, 5xx count, p99 of upstream time."""
    errors = sum(1 for h in hits if h.status >= 500)
    return Window(len(hits), errors, percentile([h.upstream_ms for h in hits], 0.99))


@dataclass
class AccessLogObserver:
    """Judges the colour's lines of the access log from `since` to the moment it is asked."""

    path: Path
    colour: str
    address: str
    since: float
    flush_s: float = 1.2  # the log is buffered with flush=1s
    clock: Callable[[], float] = time.time

    def verdict(self, cfg: GateConfig) -> Verdict:
        """Error-budget burn and p99 over the window and its last short_window_s."""
        until = self.clock()
        time.sleep(self.flush_s)
        hits = read_hits(self.path, self.colour, self.address, self.since, until)
        # "Still burning" is judged at the colour's last request, not at this call: a control
        # run after the gate leaves seconds without traffic to the new colour.
        end = max((h.t for h in hits), default=until)
        recent = [h for h in hits if h.t >= end - cfg.short_window_s]
        return judge(cfg, self.colour, window(hits), window(recent))

    def close(self) -> None:
        """Nothing to stop: the log is read when the verdict is asked for."""
