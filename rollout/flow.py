"""The blue-green flow: seven named steps, written once over the Target interface.

    1 deploy_idle  2 migrate  3 verify_idle  4 gate  5 switch  6 verify_live  7 stop_old

Every step records its phase in the state before it runs and prints its progress; any failure
or interruption leaves traffic on a verified colour (recovery.py).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.markup import escape

from kitcore.colours import other
from kitcore.release import Release
from rollout.errors import RolloutFailed, TargetError
from rollout.exitcodes import Exit
from rollout.gaterun import GateRunner
from rollout.interrupts import AbortWatch, interruptible
from rollout.outcome import Event, Outcome
from rollout.recovery import Recovery
from rollout.report.summary import write_report
from rollout.resolve import resolve_unfinished
from rollout.state import CANDIDATE, FAILED, PREVIOUS, PROMOTED, RolloutRecord, State
from rollout.store import Store, identity
from rollout.targets.base import Target
from rollout.verify.expand_only import check_scripts, judge
from rollout.verify.gates import GateConfig
from rollout.verify.loadrun import LoadSpec, LocustRun
from rollout.verify.smoke import smoke
from rollout.verify.verdict import Status, Verdict

T = TypeVar("T")
OUTCOMES = {
    Exit.PROMOTED: "promoted",
    Exit.BACKGROUND_FAILURES: "promoted",
    Exit.ROLLED_BACK: "rolled_back",
    Exit.INTERRUPTED: "interrupted",
    Exit.INCONCLUSIVE: "inconclusive",
    Exit.ROLLED_BACK_INCONCLUSIVE: "inconclusive",
}
# Stops that do not blame the release: it stays eligible for the next rollout.
NOT_ITS_FAULT = (Exit.INCONCLUSIVE, Exit.ROLLED_BACK_INCONCLUSIVE)


@dataclass
class Options:
    """How to run a rollout (gates resolved from loadtests/gates.toml plus overrides)."""

    gates: dict[str, GateConfig]
    reports_base: Path
    load: LoadSpec
    force_migration: bool = False
    stop_delay_s: float = 10.0
    background_load: bool = False
    keep_failed: bool = False
    load_env: dict[str, str] = field(default_factory=dict)


class Rollout:
    """One run of the flow, under the rollout lock."""

    outcome: Outcome

    def __init__(
        self, target: Target, store: Store, release: Release, opts: Options, console: Console
    ) -> None:
        self.target, self.store, self.release, self.opts = target, store, release, opts
        self.console = console
        self.state = State()
        self.background: LocustRun | None = None

    def run(self, report_dir: Path) -> Outcome:
        """Run the seven steps and return the outcome; recover from any failure or signal."""
        what = f"deploy {self.release.version}"
        with self.store.lock(what), interruptible(), AbortWatch(self.store.abort_requested):
            # Only a rollout that holds the lock gets a report dir: a refused one leaves none.
            report_dir.mkdir(parents=True, exist_ok=True)
            self.target.ensure_ready()
            self.state = self.store.load()
            resolve_unfinished(self.target, self.state, self.console)
            self.active = self.target.active_colour()
            self.idle = other(self.active)
            self.record = self._new_record(report_dir, identity(what))
            self.outcome = Outcome(Exit.ERROR, "", self.record, report_dir)
            load = (self.opts.load, self.opts.load_env)
            self.gates = GateRunner(self.target, self.opts.gates, load, self.outcome, self.console)
            recovery = Recovery(self.target, self.record, self.outcome, self.console)
            try:
                self.start_background_load()
                self.deploy_idle()
                self.migrate()
                self.verify_idle()
                self.gate()
                self.switch()
                self.verify_live()
                self.stop_old()
                self.outcome.code, self.outcome.reason = Exit.PROMOTED, "promoted"
            except RolloutFailed as exc:
                self.outcome.code, self.outcome.reason = exc.code, exc.reason
                recovery.run(self.state, self.opts.keep_failed)
            except KeyboardInterrupt as exc:
                self.outcome.code = Exit.INTERRUPTED
                why = f" ({exc})" if str(exc) else ""
                self.outcome.reason = f"interrupted during {self.record.phase}{why}"
                recovery.run(self.state, self.opts.keep_failed)
            except Exception as exc:
                self.outcome.code, self.outcome.reason = Exit.ERROR, f"{type(exc).__name__}: {exc}"
                recovery.run(self.state, self.opts.keep_failed)
            finally:
                self._finish()
        return self.outcome

    # -- the seven steps -----------------------------------------------------------------------
    def start_background_load(self) -> None:
        """Steady locust load on the public route for the whole rollout (--background-load)."""
        release, target = self.release, self.target
        self.console.print(
            f"[bold]Rolling out {release.version}[/]: {self.active} (active) -> {self.idle} "
            f"(idle), target {target.name}"
        )
        if not self.opts.background_load:
            return
        self._phase("background_load", "Starting background load on the public route")
        self.background = LocustRun(
            self.opts.gates["background"], target.public_url(), target.ca_cert(),
            self.outcome.report_dir, self.opts.load_env, load=self.opts.load,
        )  # fmt: skip
        self.background.start()
        time.sleep(3)  # a steady baseline before anything moves

    def deploy_idle(self) -> None:
        """1. Start the release on the idle colour; it must answer with its version."""
        version = self.release.version
        self._phase("deploy", f"1. Deploying {version} on idle colour {self.idle}")
        self.state.mark(self.idle, self.release, CANDIDATE)
        _step(Exit.DEPLOY_FAILED, lambda: self.target.start(self.idle, self.release))
        self._ok(f"{self.idle} answers with {version}")

    def migrate(self) -> None:
        """2. Apply pending revisions once, refusing any that would break the serving colour."""
        self._phase("migrate", "2. Checking and running migrations (expand only)")
        pending = _step(Exit.MIGRATION_FAILED, lambda: self.target.pending_migrations(self.release))
        self.outcome.findings = check_scripts(pending)
        for finding in self.outcome.findings:
            self.console.print(f"  [red]✗[/] {escape(str(finding))}")
        if not judge(self.outcome.findings).passed and not self.opts.force_migration:
            raise RolloutFailed(
                Exit.MIGRATION_REFUSED,
                f"{len(self.outcome.findings)} backward-incompatible migration operation(s); "
                "ship them in a later release or use --force-migration",
            )
        if pending:
            _step(Exit.MIGRATION_FAILED, lambda: self.target.migrate(self.release))
        self._ok(f"{len(pending)} pending revision(s) applied" if pending else "schema up to date")

    def verify_idle(self) -> None:
        """3. testinfra and smoke checks of the idle colour through its preview route."""
        self._phase("verify", f"3. Verifying {self.idle}: testinfra and smoke checks via preview")
        out = self.outcome.report_dir
        verdict = _step(
            Exit.VERIFY_FAILED, lambda: self.target.verify(self.idle, self.release, out)
        )
        self.outcome.verification = verdict
        if not verdict.passed:
            raise RolloutFailed(
                Exit.VERIFY_FAILED, "checks failed: " + "; ".join(verdict.reasons[:5])
            )
        self._ok(verdict.summary)

    def gate(self) -> None:
        """4. A bounded locust gate against the preview route; public traffic is untouched."""
        self._phase("gate", "4. Pre-switch locust gate against the preview route")
        verdict = self.gates.judged("pre_switch", "preview", "public", retry=True)
        if verdict.status is Status.INCONCLUSIVE:
            raise RolloutFailed(Exit.INCONCLUSIVE, f"pre-switch gate {verdict.summary}")
        if not verdict.passed:
            reasons = "; ".join(verdict.reasons)
            raise RolloutFailed(Exit.GATE_FAILED, f"pre-switch gate failed: {reasons}")

    def switch(self) -> None:
        """5. Send public traffic to the idle colour; returns once the switch is complete."""
        self._phase("switch", f"5. Switching public traffic to {self.idle}")
        start = time.time()
        self.record.switched = True  # from here on, recovery must look where traffic really is
        _step(Exit.SWITCH_FAILED, lambda: self.target.switch(self.idle))
        self.outcome.switch_window = (start, time.time())
        self.state.active = self.idle
        self.outcome.events.append(Event("switched", time.time()))
        self._ok(f"public traffic on {self.idle} ({time.time() - start:.2f}s)")

    def verify_live(self) -> None:
        """6. Smoke, the post-switch gate and what users saw, on the public route."""
        self._phase("post_switch", "6. Post-switch verification under load")
        target = self.target
        since = self.outcome.switch_window[0] if self.outcome.switch_window else time.time()
        with contextlib.closing(target.observe(self.idle, since)) as observer:
            url, ca = target.public_url(), target.ca_cert()
            checks = smoke(target.contract, url, self.idle, self.release.version, ca)
            # After the switch the preview route reaches the old colour: the control runs there.
            post = self.gates.judged("post_switch", "public", "preview", retry=False)
            seen = self.gates.users(observer.verdict(self.opts.gates["post_switch"]), post)
        verdict = Verdict.combine("post-switch", [checks, post, seen])
        if verdict.status is Status.INCONCLUSIVE:
            reason = f"post-switch verification inconclusive ({post.summary}); switched back"
            raise RolloutFailed(Exit.ROLLED_BACK_INCONCLUSIVE, reason)
        if not verdict.passed:
            reason = "post-switch verification failed: " + "; ".join(verdict.reasons[:8])
            raise RolloutFailed(Exit.ROLLED_BACK, reason)
        self.record.verified = True
        self.state.mark(self.idle, self.release, PROMOTED)
        previous = self.state.colours.get(self.active)
        if previous is not None:
            previous.standing = PREVIOUS
        self.store.save(self.state)
        self._ok("public route verified")

    def stop_old(self) -> None:
        """7. Stop the old colour after the delay (it no longer receives traffic)."""
        delay = self.opts.stop_delay_s
        self._phase("stop_old", f"7. Stopping old colour {self.active} in {delay:.0f}s")
        time.sleep(delay)
        _step(Exit.ERROR, lambda: self.target.stop(self.active))
        self._ok(f"{self.active} stopped")

    # -- bookkeeping ---------------------------------------------------------------------------
    def _new_record(self, report_dir: Path, holder: str) -> RolloutRecord:
        rec = RolloutRecord(
            id=uuid.uuid4().hex[:8], version=self.release.version, from_colour=self.active,
            to_colour=self.idle, started=time.time(), pid=os.getpid(),
            report_dir=str(report_dir), source_dir=str(self.release.source_dir),
            image=self.release.image, holder=holder,
        )  # fmt: skip
        self.state.current = rec
        self.state.active = self.active
        return rec

    def _phase(self, name: str, label: str) -> None:
        """Record the phase in the state before the step runs (so a crash is explained)."""
        now = time.time()
        self.record.phase = name
        self.record.phases.append((name, now))
        self.store.save(self.state)
        self.outcome.events.append(Event(name, now))
        self.console.print(f"[bold cyan]»[/] {label}")

    def _ok(self, text: str) -> None:
        self.console.print(f"  [green]✓[/] {escape(text)}")

    def _finish(self) -> None:
        """Stop the background load, file the record in the history and write the report."""
        if self.background is not None:
            self.outcome.events.append(Event("load stop", time.time()))
            bg = self.background.stop()
            self.outcome.loads["background"] = bg
            failed = int(bg.measures.get("num_failures", 0))
            if failed and self.outcome.code == Exit.PROMOTED:
                self.outcome.code = Exit.BACKGROUND_FAILURES
                self.outcome.reason = f"promoted, but {failed} background request(s) failed"
        self.state.active = self.outcome.active_after or self.state.active
        blamed = self.outcome.code not in NOT_ITS_FAULT
        if not self.record.verified and self.state.standing(self.idle) == CANDIDATE and blamed:
            self.state.mark(self.idle, self.release, FAILED)  # never a rollback target
        rec = self.record
        rec.outcome = OUTCOMES.get(self.outcome.code, "failed")
        rec.exit_code, rec.reason = int(self.outcome.code), self.outcome.reason
        rec.finished = time.time()
        self.outcome.active_after = self.state.active
        self.state.current = None
        self.state.history.append(rec)
        self.store.save(self.state)
        try:
            write_report(self.outcome)
        except Exception as exc:  # a broken chart must not hide the rollout's own outcome
            self.console.print(f"[yellow]report incomplete: {escape(str(exc))}[/]")


def _step(code: Exit, fn: Callable[[], T]) -> T:
    """Run a target call; turn a TargetError into a RolloutFailed with the step's exit code."""
    try:
        return fn()
    except TargetError as exc:
        raise RolloutFailed(code, str(exc)) from exc
