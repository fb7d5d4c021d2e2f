"""The blue-green flow, written once over the Target interface (DESIGN.md, steps 1-7)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from rich.console import Console

from rollout.exitcodes import Exit
from rollout.gates import GateConfig
from rollout.loadrun import LoadResult, LocustRun, run_gate
from rollout.migrations import Finding, check_scripts
from rollout.report import Event
from rollout.smoke import smoke
from rollout.state import RolloutRecord, State, StateStore
from rollout.summary import write_report
from rollout.targets.base import CheckResult, Release, Target, TargetError, other

T = TypeVar("T")
OUTCOMES = {
    Exit.PROMOTED: "promoted",
    Exit.BACKGROUND_FAILURES: "promoted",
    Exit.ROLLED_BACK: "rolled_back",
    Exit.INTERRUPTED: "interrupted",
}


class RolloutFailed(Exception):
    """A step failed; carries the exit code and the reason."""

    def __init__(self, code: Exit, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class Options:
    """How to run a rollout (gates resolved from loadtests/gates.toml plus overrides)."""

    gates: dict[str, GateConfig]
    reports_base: Path
    force_migration: bool = False
    stop_delay_s: float = 10.0
    background_load: bool = False
    keep_failed: bool = False
    load_env: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    """Everything a caller (CLI, demo, tests) needs to know about a finished rollout."""

    code: Exit
    reason: str
    record: RolloutRecord
    report_dir: Path
    events: list[Event] = field(default_factory=list)
    loads: dict[str, LoadResult] = field(default_factory=dict)
    checks: CheckResult | None = None
    findings: list[Finding] = field(default_factory=list)
    switch_window: tuple[float, float] | None = None
    active_after: str | None = None


class Rollout:
    """One run of the flow: records each phase before it starts, recovers on any exit."""

    outcome: Outcome

    def __init__(
        self, target: Target, store: StateStore, release: Release, opts: Options, console: Console
    ) -> None:
        self.target, self.store, self.release, self.opts = target, store, release, opts
        self.console = console
        self.state = State()
        self.switched = False
        self.verified_after_switch = False
        self.background: LocustRun | None = None

    # -- bookkeeping -------------------------------------------------------------------------
    def _phase(self, rec: RolloutRecord, name: str, label: str) -> None:
        """Record the phase in the state file before the step runs (so a crash is explained)."""
        now = time.time()
        rec.phase = name
        rec.phases.append((name, now))
        self.store.save(self.state)
        self.outcome.events.append(Event(name, now))
        self.console.print(f"[bold cyan]»[/] {label}")

    def _ok(self, text: str) -> None:
        self.console.print(f"  [green]✓[/] {text}")

    def _gate(self, name: str, url: str) -> LoadResult:
        cfg = self.opts.gates[name]
        with self.console.status(f"  locust gate {name}: {cfg.users} users for {cfg.duration_s}s"):
            result = run_gate(
                cfg, url, self.target.ca_cert(), self.outcome.report_dir, self.opts.load_env
            )
        self.outcome.loads[name] = result
        m = result.measures
        self.console.print(
            f"  {'[green]✓' if result.passed else '[red]✗'}[/] gate {name}: "
            f"{int(m.get('num_requests', 0))} requests, {int(m.get('num_failures', 0))} failed, "
            f"p95 {m.get('p95_ms', 0):.0f} ms, p99 {m.get('p99_ms', 0):.0f} ms"
        )
        for feature, why in result.skipped_features.items():
            self.console.print(f"  [yellow]![/] skipped {feature}: {why}")
        return result

    # -- the flow ----------------------------------------------------------------------------
    def run(self, report_dir: Path) -> Outcome:
        """Run the whole flow under the rollout lock and return its outcome."""
        with self.store.lock(f"deploy {self.release.version}"):
            # Only a rollout that holds the lock gets a report dir: a refused one leaves none.
            report_dir.mkdir(parents=True, exist_ok=True)
            self.state = self.store.load()
            close_stale(self.state)
            self.target.ensure_ready()
            active = self.target.active_colour()
            idle = other(active)
            rec = RolloutRecord(
                id=uuid.uuid4().hex[:8],
                version=self.release.version,
                from_colour=active,
                to_colour=idle,
                started=time.time(),
                pid=os.getpid(),
                report_dir=str(report_dir),
            )
            self.state.current = rec
            self.state.active = active
            self.outcome = Outcome(Exit.ERROR, "", rec, report_dir)
            try:
                self._steps(rec, active, idle)
                self.outcome.code, self.outcome.reason = Exit.PROMOTED, "promoted"
            except RolloutFailed as exc:
                self.outcome.code, self.outcome.reason = exc.code, exc.reason
                self._recover(rec, active, idle)
            except KeyboardInterrupt:
                self.outcome.code = Exit.INTERRUPTED
                self.outcome.reason = f"interrupted during {rec.phase}"
                self._recover(rec, active, idle)
            except Exception as exc:
                self.outcome.code, self.outcome.reason = Exit.ERROR, f"{type(exc).__name__}: {exc}"
                self._recover(rec, active, idle)
            finally:
                self._finish(rec)
        return self.outcome

    def _steps(self, rec: RolloutRecord, active: str, idle: str) -> None:
        release, target = self.release, self.target
        self.console.print(
            f"[bold]Rolling out {release.version}[/]: {active} (active) -> {idle} (idle), "
            f"target {target.name}"
        )
        if self.opts.background_load:
            self._phase(rec, "background_load", "Starting background load on the public route")
            self.background = LocustRun(
                self.opts.gates["background"],
                target.public_url(),
                target.ca_cert(),
                self.outcome.report_dir,
                self.opts.load_env,
            )
            self.background.start()
            time.sleep(3)  # a steady baseline before anything moves
        self._phase(rec, "deploy", f"1. Deploying {release.version} on idle colour {idle}")
        _step(Exit.DEPLOY_FAILED, lambda: target.deploy_idle(idle, release))
        self.state.versions[idle] = release.version
        self._ok(f"{idle} answers with {release.version}")

        self._phase(rec, "migrate", "2. Checking and running migrations (expand only)")
        pending = _step(Exit.MIGRATION_FAILED, lambda: target.pending_migrations(release))
        self.outcome.findings = check_scripts(pending)
        for finding in self.outcome.findings:
            self.console.print(f"  [red]✗[/] {finding}")
        if self.outcome.findings and not self.opts.force_migration:
            raise RolloutFailed(
                Exit.MIGRATION_REFUSED,
                f"{len(self.outcome.findings)} backward-incompatible migration operation(s); "
                "ship them in a later release or use --force-migration",
            )
        if pending and release.version not in self.state.migrated_versions:
            _step(Exit.MIGRATION_FAILED, lambda: target.migrate(release))
            self.state.migrated_versions.append(release.version)
        self._ok(f"{len(pending)} pending revision(s) applied" if pending else "schema up to date")

        self._phase(rec, "verify", f"3. Verifying {idle}: testinfra and smoke checks via preview")
        checks = _step(
            Exit.VERIFY_FAILED, lambda: target.verify(idle, release, self.outcome.report_dir)
        )
        self.outcome.checks = checks
        if not checks.passed:
            reason = "checks failed: " + "; ".join(checks.failures[:5])
            raise RolloutFailed(Exit.VERIFY_FAILED, reason)
        self._ok(checks.summary)

        self._phase(rec, "gate", "4. Pre-switch locust gate against the preview route")
        gate = self._gate("pre_switch", target.preview_url())
        if not gate.passed:
            reason = "pre-switch gate failed: " + "; ".join(gate.reasons + _top_errors(gate))
            raise RolloutFailed(Exit.GATE_FAILED, reason)

        self._phase(rec, "switch", f"5. Switching public traffic to {idle}")
        start = time.time()
        self.switched = True  # from here on, recovery must look at where traffic really is
        _step(Exit.SWITCH_FAILED, lambda: target.switch(idle))
        self.outcome.switch_window = (start, time.time())
        self.state.active = idle
        self.outcome.events.append(Event("switched", time.time()))
        self._ok(f"public traffic on {idle} ({time.time() - start:.2f}s)")

        self._phase(rec, "post_switch", "6. Post-switch verification under load")
        failures = smoke(target.public_url(), idle, release.version, target.ca_cert())
        post = self._gate("post_switch", target.public_url())
        if failures or not post.passed:
            reasons = failures[:5] + post.reasons + _top_errors(post)
            reason = "post-switch verification failed: " + "; ".join(reasons)
            raise RolloutFailed(Exit.ROLLED_BACK, reason)
        self.verified_after_switch = True
        self._ok("public route verified")

        delay = self.opts.stop_delay_s
        self._phase(rec, "stop_old", f"7. Stopping old colour {active} in {delay:.0f}s")
        time.sleep(self.opts.stop_delay_s)
        _step(Exit.ERROR, lambda: target.stop(active))
        self.state.versions[active] = None
        self._ok(f"{active} stopped")

    def _recover(self, rec: RolloutRecord, active: str, idle: str) -> None:
        """Leave traffic on a healthy colour: switch back unless the new one was verified."""
        with _ignore_sigint():
            self.console.print(f"[bold red]✗ {self.outcome.reason}[/]")
            try:
                serving = self.target.active_colour() if self.switched else active
            except Exception as exc:
                serving = idle if self.switched else active
                self.console.print(f"  [red]active colour unknown ({exc}); assuming {serving}")
            if serving == idle and not self.verified_after_switch:
                self.console.print(f"[bold cyan]»[/] Switching traffic back to {active}")
                try:
                    self.target.switch(active)
                    self.outcome.events.append(Event("switched back", time.time()))
                    self._ok(f"public traffic back on {active}")
                except Exception as exc:
                    self.outcome.code = Exit.ROLLBACK_FAILED
                    self.outcome.reason += f"; switching back failed: {exc}"
                    return
            self.state.active = active if not self.verified_after_switch else idle
            if self.state.active == active and not self.opts.keep_failed:
                with contextlib.suppress(Exception):
                    self.target.stop(idle)  # nothing routes to it; free the machine
                    self.state.versions[idle] = None
                    self._ok(f"stopped {idle} (use --keep-failed to keep it for debugging)")

    def _finish(self, rec: RolloutRecord) -> None:
        if self.background is not None:
            self.outcome.events.append(Event("load stop", time.time()))
            bg = self.background.stop()
            self.outcome.loads["background"] = bg
            failed = int(bg.measures.get("num_failures", 0))
            if failed and self.outcome.code == Exit.PROMOTED:
                self.outcome.code = Exit.BACKGROUND_FAILURES
                self.outcome.reason = f"promoted, but {failed} background request(s) failed"
        self.outcome.active_after = self.state.active
        rec.outcome = OUTCOMES.get(self.outcome.code, "failed")
        rec.exit_code, rec.reason = int(self.outcome.code), self.outcome.reason
        rec.finished = time.time()
        self.state.current = None
        self.state.history.append(rec)
        self.store.save(self.state)
        try:
            write_report(self.outcome)
        except Exception as exc:  # a broken chart must not hide the rollout's own outcome
            self.console.print(f"[yellow]report incomplete: {exc}[/]")


def _top_errors(result: LoadResult, n: int = 2) -> list[str]:
    """Name the most frequent errors of a locust run (what made it fail)."""
    errors = sorted(result.errors, key=lambda e: -int(e["occurrences"]))[:n]
    return [f"{e['occurrences']}x {e['method']} {e['name']}: {e['error']}" for e in errors]


def _step(code: Exit, fn: Callable[[], T]) -> T:
    """Run a target call; turn a TargetError into a RolloutFailed with the step's exit code."""
    try:
        return fn()
    except TargetError as exc:
        raise RolloutFailed(code, str(exc)) from exc


@contextlib.contextmanager
def _ignore_sigint() -> Iterator[None]:
    """Let recovery finish even if Ctrl-C is pressed again."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def close_stale(state: State) -> None:
    """Move a rollout left 'running' by a dead process into the history as interrupted."""
    if state.current is not None:
        rec = state.current
        rec.outcome = "interrupted"
        rec.reason = rec.reason or f"the rollout process died during {rec.phase}"
        rec.finished = rec.finished or time.time()
        state.history.append(rec)
        state.current = None
