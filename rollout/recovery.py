"""After a failure or an interruption: leave public traffic on a verified colour.

Recovery reads where traffic really is (the routing layer, not memory), switches back unless
the new colour passed its post-switch verification, then stops the unverified colour.
"""

from __future__ import annotations

import contextlib
import time

from rich.console import Console
from rich.markup import escape

from rollout.exitcodes import Exit
from rollout.interrupts import shielded
from rollout.outcome import Event, Outcome
from rollout.state import RolloutRecord, State
from rollout.targets.base import Target


class Recovery:
    """Puts traffic back on the old colour for one rollout (its record says how far it got)."""

    def __init__(
        self, target: Target, record: RolloutRecord, outcome: Outcome, console: Console
    ) -> None:
        self.target, self.record, self.outcome, self.console = target, record, outcome, console

    def run(self, state: State, keep_failed: bool) -> None:
        """Switch back if needed, then stop the colour that failed (unless keep_failed)."""
        rec, old, new = self.record, self.record.from_colour, self.record.to_colour
        with shielded():
            self.console.print(f"[bold red]✗ {escape(self.outcome.reason)}[/]")
            serving = self._serving()
            if serving == new and not rec.verified and not self._switch_back():
                return
            state.active = new if rec.verified else old
            self.outcome.active_after = state.active
            if state.active == old and not keep_failed:
                with contextlib.suppress(Exception):
                    self.target.stop(new)  # nothing routes to it; free the machine
                    self._ok(f"stopped {new} (use --keep-failed to keep it for debugging)")

    def _serving(self) -> str:
        """Return where public traffic is: the target's answer once a switch was attempted."""
        rec = self.record
        if not rec.switched:
            return rec.from_colour
        try:
            return self.target.active_colour()
        except Exception as exc:
            self.console.print(
                f"  [red]active colour unknown ({escape(str(exc))}); assuming {rec.to_colour}"
            )
            return rec.to_colour

    def _switch_back(self) -> bool:
        """Send traffic back to the old colour; on failure say so in the outcome."""
        old = self.record.from_colour
        self.console.print(f"[bold cyan]»[/] Switching traffic back to {old}")
        try:
            self.target.switch(old)
        except Exception as exc:
            self.outcome.code = Exit.ROLLBACK_FAILED
            self.outcome.reason += f"; switching back failed: {exc}"
            self.outcome.active_after = None
            return False
        self.outcome.events.append(Event("switched back", time.time()))
        self._ok(f"public traffic back on {old}")
        return True

    def _ok(self, text: str) -> None:
        self.console.print(f"  [green]✓[/] {escape(text)}")
