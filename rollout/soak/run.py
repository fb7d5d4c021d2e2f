"""The soak's driver: N rollouts on the local stack under load, faults between and during them."""

from __future__ import annotations

import dataclasses
import functools
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from kitcore.colours import other
from kitcore.contract import Contract
from kitcore.release import Release, checkout_version
from rollout import commands
from rollout.exitcodes import Exit
from rollout.faults import broken_release
from rollout.flow import Options
from rollout.soak.accounting import (
    INCONCLUSIVE_CODES,
    Figures,
    RolloutResult,
    Window,
    by_kind,
    classify,
    split,
)
from rollout.soak.inject import Injector
from rollout.soak.schedule import FAULT_KINDS, IN_GATE, during_rollout, plan
from rollout.soak.service import ServiceLoad, load_factory, with_soak_env
from rollout.store import Store
from rollout.targets.base import ReleaseRequest
from rollout.targets.local import LocalTarget
from rollout.verify.gates import resolve_gates
from rollout.verify.load_account import load_user_env
from rollout.verify.loadrun import LoadSpec
from rollout.verify.verdict import Status
from stack import LocalStack, StackConfig, StackError

# Shorter gates than a real rollout's, so one soak rollout takes ~30-40 s (rollout/README.md),
# and latency limits a busy 2-core machine running the soak's own load still meets: the soak
# tests the flow under faults, not the latency SLO. A bad release stays far outside them:
# "slow" answers after BAD_SLOW_DELAY_S on every route, "error" answers 500. The pre-switch
# gate's control runs beside it: a restart of a few seconds inside the gate is over before a
# control run after it would start, so only a control at the same time sees the same bad day.
SOAK_GATES = (
    "pre_switch.duration_s=10",
    "pre_switch.control=during",
    "pre_switch.min_requests=50",
    "pre_switch.max_p95_ms=1000",
    "pre_switch.max_p99_ms=2000",
    "post_switch.duration_s=8",
    "post_switch.min_requests=30",
    "post_switch.max_p95_ms=1000",
    "post_switch.max_p99_ms=2000",
)
BAD_SLOW_DELAY_S = 2.5
RETRY_WAIT_S = 10.0  # after an inconclusive verdict, before the one retry
JOBS_WAIT_S = 180.0  # an abandoned job is retried after ~60 s (app/worker.py), plus a margin


@dataclass
class SoakOptions:
    """How to run one soak."""

    rollouts: int
    out: Path
    bad_every: int = 5
    max_minutes: float = 40.0
    keep: bool = False
    delay_ms: float = 150.0
    proxy_port: int = 0  # 0: the Postgres port + 1
    gate_overrides: list[str] = field(default_factory=list)
    kinds: tuple[str, ...] = FAULT_KINDS


class Soak:
    """One soak run against the contract's local stack."""

    def __init__(self, contract: Contract, opts: SoakOptions, console: Console) -> None:
        self.factory = load_factory(contract)
        contract = with_soak_env(contract, self.factory)
        self.contract, self.opts, self.console = contract, opts, console
        cfg = StackConfig.from_env(contract.root)
        port = opts.proxy_port or cfg.postgres_port + 1
        self.config = dataclasses.replace(cfg, db_proxy_port=port)
        self.config.validate()
        self.stack = LocalStack(self.config, contract, echo=console.print)
        self.target = LocalTarget(contract, self.stack)
        self.proxy: subprocess.Popen[bytes] | None = None
        self.load: ServiceLoad | None = None
        self.windows: list[Window] = []
        self.results: list[RolloutResult] = []
        self.deadline = time.monotonic() + opts.max_minutes * 60

    def run(self) -> tuple[Figures, ServiceLoad]:
        """Run the plan, then read every write and job back; always tidy up."""
        if self.stack.supervisor.is_running():
            raise StackError(
                "the local stack is already up: `make down` first (the soak starts its own, "
                "so that every app process reaches Postgres through its latency proxy)"
            )
        timed_out = False
        try:
            self.start_proxy()
            self.stack.up()
            self.stack.seed()
            states = self.config.state_dir
            env = load_user_env(states)
            header = self.contract.health.colour_header
            self.load = self.factory(self.stack.public_url, self.stack.ca_cert_path, env, header)
            self.load.start()
            timed_out = self.rollouts(env)
            self.load.stop()
            self.console.rule("reading back every accepted write and queued job")
            found = self.load.writes_found()
            wait = max(10.0, min(JOBS_WAIT_S, self.deadline - time.monotonic() + 60))
            completed = self.load.jobs_completed(wait)
            rec = self.load.rec
            figures = Figures(
                self.results, split(rec.requests, self.windows),
                len(rec.items) + len(rec.uploads), found, len(rec.jobs), completed,
                self.windows, self.opts.rollouts, timed_out, by_kind(rec.requests, self.windows),
            )  # fmt: skip
            return figures, self.load
        finally:
            self.tidy()

    def rollouts(self, env: dict[str, str]) -> bool:
        """Run every planned rollout; return True when --max-minutes stopped it early."""
        contract, opts = self.contract, self.opts
        gates = resolve_gates(
            contract.path(contract.gate.thresholds), [*SOAK_GATES, *opts.gate_overrides]
        )
        options = Options(
            gates, opts.out / "rollouts", LoadSpec.of(contract), stop_delay_s=2, load_env=env
        )
        store = self.target.store()
        stamp = time.strftime("%H%M%S")
        base = self.target.make_release(
            ReleaseRequest(f"{checkout_version(contract.root)}-soak{stamp}"),
            self.config.state_dir / "releases",
        )
        columns = (TextColumn("rollout"), MofNCompleteColumn(), BarColumn(),
                   TextColumn("ETA"), TimeRemainingColumn())  # fmt: skip
        with Progress(*columns, console=self.console) as progress:
            task = progress.add_task("soak", total=opts.rollouts)
            for step in plan(opts.rollouts, opts.bad_every, opts.kinds):
                if time.monotonic() > self.deadline:
                    self.console.print("[yellow]--max-minutes reached: stopping the soak[/]")
                    return True
                # A trivially different release each time: the same tree under a new version.
                release = Release(f"{base.version}-{step.index:03d}", base.source_dir)
                if step.bad:
                    dest = self.config.state_dir / "releases" / f"{release.version}-bad"
                    broken = broken_release(
                        contract, base.source_dir, dest, fault=step.bad, delay_s=BAD_SLOW_DELAY_S
                    )
                    release = Release(f"{release.version}-bad-{step.bad}", broken)
                self.console.rule(f"soak rollout {step.index}/{opts.rollouts}: {release.version}")
                injector = Injector(self.stack, self.proxy)
                for kind in step.faults:
                    if not during_rollout(kind):
                        self.fault(functools.partial(injector.inject, kind), kind)
                # The faults before it: the rollout starts once their windows closed.
                time.sleep(max(0.0, max((w.end for w in self.windows), default=0) - time.time()))
                start = time.time()
                code, retried, reason = self.deploy(release, options, store, step.faults, injector)
                self.results.append(RolloutResult(
                    step.index, release.version, step.bad, start, time.time(), code,
                    classify(code), retried, list(step.faults), reason,
                ))  # fmt: skip
                progress.advance(task)
                if code == int(Exit.INTERRUPTED):  # Ctrl-C: the rollout recovered, stop here
                    raise KeyboardInterrupt
        return False

    def deploy(
        self, release: Release, options: Options, store: Store, faults: tuple[str, ...],
        injector: Injector,
    ) -> tuple[int, bool, str]:  # fmt: skip
        """Roll the release out (retried once when inconclusive), with its faults during it."""
        retried = False
        while True:
            stop = threading.Event()
            # The first attempt only: a retry is the rollout after the bad day.
            during = [] if retried else self.during(faults, injector, store, stop)
            for thread in during:
                thread.start()
            try:
                outcome = commands.deploy(self.target, store, release, options, self.console)
            finally:
                stop.set()
                for thread in during:
                    thread.join(90)
            code = int(outcome.code)
            # An inconclusive gate the flow itself retried counts as a retry too.
            gate_retried = any(v.status is Status.INCONCLUSIVE for v in outcome.verdicts)
            if code not in INCONCLUSIVE_CODES or retried:
                return code, retried or gate_retried, outcome.reason
            self.console.print(f"inconclusive: retrying once in {RETRY_WAIT_S:.0f}s")
            time.sleep(RETRY_WAIT_S)
            retried = True

    def during(
        self, faults: tuple[str, ...], injector: Injector, store: Store, stop: threading.Event
    ) -> list[threading.Thread]:
        """Threads that inject the rollout's faults while it runs (each waits for its moment)."""
        threads = []
        idle = other(self.stack.active_colour())
        for kind in faults:
            if kind == "kill-web-idle":
                inject = functools.partial(injector.kill_idle_when_up, idle, stop)
            elif kind.endswith(IN_GATE):
                inject = functools.partial(injector.in_gate, kind, idle, store, stop)
            else:
                continue
            threads.append(threading.Thread(target=self.fault, args=(inject, kind)))
        return threads

    def fault(self, inject: Callable[[], Window | None], kind: str) -> None:
        """Inject a fault and keep its window; a fault that fails is reported, not fatal."""
        try:
            window = inject()
        except Exception as exc:  # the soak reports it in the window and goes on
            now = time.time()
            window = Window(kind, now - 1, now + 5, f"FAILED: {type(exc).__name__}: {exc}")
            self.console.print(f"[red]fault {escape(kind)} failed: {escape(str(exc))}[/]")
        if window is not None:
            self.windows.append(window)
            self.console.print(f"[cyan]fault[/] {escape(kind)}: {escape(window.detail)}")

    def start_proxy(self) -> None:
        """Start the latency proxy in front of Postgres and wait until it listens."""
        cmd = [sys.executable, "-m", "rollout.soak.proxy", str(self.config.db_proxy_port),
               str(self.config.postgres_port), f"{self.opts.delay_ms:g}"]  # fmt: skip
        self.proxy = subprocess.Popen(cmd, stdout=subprocess.PIPE)  # noqa: S603
        assert self.proxy.stdout is not None
        if self.proxy.stdout.readline().strip() != b"ready":
            raise StackError(f"the latency proxy did not start (exit {self.proxy.wait(5)})")

    def tidy(self) -> None:
        """Stop the load, the stack (unless --keep) and the proxy; nothing left running."""
        if self.load is not None:
            self.load.stop()
        if self.opts.keep:
            pid = self.proxy.pid if self.proxy else None
            self.console.print(f"--keep: stack and latency proxy (pid {pid}) left running")
            return
        try:
            self.stack.down()
        finally:
            if self.proxy is not None and self.proxy.poll() is None:
                self.proxy.terminate()
                try:
                    self.proxy.wait(10)
                except subprocess.TimeoutExpired:
                    self.proxy.kill()
                    self.proxy.wait(5)
