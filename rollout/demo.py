"""`make demo` / `make demo-rollback`: a gated blue-green rollout under steady load, end to end.

promote:  stack up, seed data (the contract's demo.seed), steady locust load through Nginx,
          roll the current checkout out to the idle colour. Exit 0 only if it was promoted
          and no request failed.
rollback: the same with a release that is slow on every route but its health ones: the gate
          must refuse it, traffic must stay on the old colour, no request may fail.
"""

from __future__ import annotations

import argparse
import sys
import time

from rich.console import Console
from rich.markup import escape

from kitcore.contract import ContractError, load_contract
from kitcore.release import Release, checkout_version
from rollout import commands
from rollout.cli import state_dir
from rollout.exitcodes import Exit
from rollout.faults import broken_release
from rollout.flow import Options
from rollout.outcome import Outcome
from rollout.report.windows import phase_windows
from rollout.targets.base import ReleaseRequest
from rollout.targets.local import LocalTarget
from rollout.verify.gates import resolve_gates
from rollout.verify.load_account import load_user_env
from rollout.verify.loadrun import LoadSpec
from stack import LocalStack, StackConfig, StackError


def print_figures(console: Console, outcome: Outcome) -> None:
    """Print the background load before, during and after the switch."""
    bg = outcome.loads.get("background")
    if bg is None:
        return
    m = bg.measures
    console.print(
        f"[bold]background load[/]: {int(m.get('num_requests', 0))} requests, "
        f"{int(m.get('num_failures', 0))} failed, p50 {m.get('p50_ms', 0):.0f} ms, "
        f"p95 {m.get('p95_ms', 0):.0f} ms, p99 {m.get('p99_ms', 0):.0f} ms"
    )
    windows = phase_windows(outcome.background_rows, outcome.switch_window)
    for label, stats in windows.items():
        console.print("  " + stats.line(label))
    steady, during = windows.get("before switch"), windows.get("during switch")
    if steady and during and steady.p99_ms:
        console.print(f"p99 during switch / steady state: {during.p99_ms / steady.p99_ms:.2f}")
    rec = outcome.record
    promoted = next((t for name, t in rec.phases if name == "stop_old"), None)
    if promoted is not None:
        console.print(f"time from rollout start to promotion: {promoted - rec.started:.1f}s")


def main(argv: list[str] | None = None) -> int:
    """Run one demo scenario; the exit code says whether it behaved as it must."""
    parser = argparse.ArgumentParser(prog="python -m rollout.demo", description=__doc__)
    parser.add_argument("scenario", choices=("promote", "rollback"), nargs="?", default="promote")
    parser.add_argument("--stop-delay", type=float, default=5.0)
    parser.add_argument("--down", action="store_true", help="stop the stack at the end")
    parser.add_argument(
        "--contract", help="the service's kit.toml (default: $KIT_CONTRACT, else the kit's own)"
    )
    args = parser.parse_args(argv)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 110)
    started = time.time()
    try:
        contract = load_contract(args.contract)
    except ContractError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    states = state_dir(contract)
    stack = LocalStack(StackConfig.from_env(contract.root), contract, echo=console.print)
    target = LocalTarget(contract, stack)
    try:
        console.rule("local stack")
        stack.up()
        # A version of its own per run: never rewrite the tree a running colour serves from.
        version = f"{checkout_version(contract.root)}-demo{time.strftime('%H%M%S')}"
        release = target.make_release(ReleaseRequest(version), states / "releases")
        stack.seed()
        if args.scenario == "rollback":
            version = f"{release.version}-broken"
            broken = broken_release(contract, release.source_dir, states / "releases" / version)
            release = Release(version, broken)
        before = stack.active_colour()
        thresholds = contract.path(contract.gate.thresholds)
        opts = Options(
            resolve_gates(thresholds, []), contract.root / "reports" / "rollouts",
            LoadSpec.of(contract), stop_delay_s=args.stop_delay, background_load=True,
            load_env=load_user_env(states),
        )  # fmt: skip
        console.rule(f"rollout of {release.version} ({args.scenario})")
        store = target.store()
        outcome = commands.deploy(target, store, release, opts, console)
        after = stack.active_colour()
    except StackError as exc:
        console.print(f"[red]demo: the local stack failed: {escape(str(exc))}[/]")
        return 1
    finally:
        if args.down:
            stack.down()
    console.rule("summary")
    print_figures(console, outcome)
    failed = int(outcome.loads["background"].measures.get("num_failures", 1))
    console.print(
        f"traffic: {before} -> {after}; outcome: {outcome.reason} (exit {int(outcome.code)})"
    )
    console.print(f"report: {outcome.report_dir}/summary.txt (chart.png, locust-*.html)")
    console.print(f"demo took {time.time() - started:.0f}s")
    if args.scenario == "promote":
        ok = outcome.code == Exit.PROMOTED and failed == 0
    else:
        ok = outcome.code == Exit.GATE_FAILED and after == before and failed == 0
        console.print(f"why the gate refused it: {escape(outcome.reason)}")
    console.print("[bold green]demo passed[/]" if ok else "[bold red]demo FAILED[/]")
    if not args.down:
        console.print("the stack is still up: `make down` stops it")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
