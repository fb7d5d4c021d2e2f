"""`make bench-rollout`: time to promotion, and p99 during switches vs steady state (one run).

1. A full gated rollout of the checkout (deploy idle -> promotion is timed).
2. The old colour is started again and traffic is switched back and forth a few times
   under a steady background load; p99 over the seconds around each switch is compared
   with p99 over quiet seconds between switches (same load, no switch) as a ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter

from rich.console import Console
from rich.markup import escape

from kitcore.colours import other
from kitcore.contract import load_contract
from kitcore.release import checkout_version
from rollout import commands
from rollout.cli import state_dir
from rollout.flow import Options
from rollout.report.windows import SWITCH_TAIL_S
from rollout.targets.base import ReleaseRequest
from rollout.targets.local import LocalTarget
from rollout.verify.gates import GateConfig, resolve_gates
from rollout.verify.load_account import load_user_env
from rollout.verify.loadrun import LoadSpec, LocustRun
from rollout.verify.timeline import percentile, window
from stack import LocalStack, StackConfig

# Steady load for the switch benchmark: enough users to see queueing, bounded at 10 minutes.
BENCH_LOAD = GateConfig(
    name="bench", users=10, spawn_rate=10, duration_s=600, min_requests=1,
    max_fail_ratio=0.0, max_p95_ms=10_000, max_p99_ms=10_000,
)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and save) its figures."""
    parser = argparse.ArgumentParser(prog="python -m rollout.bench", description=__doc__)
    parser.add_argument("--switches", type=int, default=4)
    parser.add_argument("--quiet", type=float, default=10.0, help="seconds between switches")
    parser.add_argument("--down", action="store_true", help="stop the stack at the end")
    parser.add_argument("--contract", help="the service's kit.toml (default: the kit's own)")
    args = parser.parse_args(argv)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 110)
    contract = load_contract(args.contract)
    states = state_dir(contract)
    stack = LocalStack(StackConfig.from_env(contract.root), contract, echo=console.print)
    target = LocalTarget(contract, stack)
    load = LoadSpec.of(contract)
    try:
        stack.up()
        stack.seed()
        version = f"{checkout_version(contract.root)}-bench{time.strftime('%H%M%S')}"
        release = target.make_release(ReleaseRequest(version), states / "releases")
        env = load_user_env(states)
        reports = contract.root / "reports" / "rollouts"
        gates = resolve_gates(contract.path(contract.gate.thresholds), [])
        opts = Options(gates, reports, load, stop_delay_s=1, load_env=env)
        store = target.store()
        outcome = commands.deploy(target, store, release, opts, console)
        out = outcome.report_dir
        rec = outcome.record
        promoted = next((t for name, t in rec.phases if name == "stop_old"), None)
        if promoted is None:
            console.print(f"[red]rollout not promoted: {escape(outcome.reason)}[/]")
            return 1
        to_promotion = promoted - rec.started

        active = stack.active_colour()
        stack.start_colour(other(active), release)
        background = LocustRun(
            BENCH_LOAD, stack.public_url, stack.ca_cert_path, out, env, load=load
        )
        background.start()
        quiet: list[tuple[float, float]] = []
        switching: list[tuple[float, float]] = []
        time.sleep(3)
        for _ in range(args.switches):
            start = time.time()
            time.sleep(args.quiet)
            quiet.append((start, time.time()))
            begin = time.time()
            stack.route(other(stack.active_colour()))
            switching.append((begin, time.time() + SWITCH_TAIL_S))
            time.sleep(SWITCH_TAIL_S)
        result = background.stop()
    finally:
        if args.down:
            stack.down()

    def merged(spans: list[tuple[float, float]]) -> tuple[int, int, float]:
        hist: Counter[int] = Counter()
        n = fails = 0
        for a, b in spans:
            w = window(result.timeline, a, b)
            n, fails = n + w.requests, fails + w.failures
            for row in result.timeline:
                if a <= row["t"] < b:
                    hist.update({int(float(k)): v for k, v in row["rt"].items()})
        return n, fails, percentile(hist, 0.99)

    q_n, q_fail, q_p99 = merged(quiet)
    s_n, s_fail, s_p99 = merged(switching)
    figures = {
        "time_to_promotion_s": round(to_promotion, 1),
        "switches": args.switches,
        "steady_requests": q_n,
        "steady_failures": q_fail,
        "steady_p99_ms": q_p99,
        "switch_requests": s_n,
        "switch_failures": s_fail,
        "switch_p99_ms": s_p99,
        "p99_ratio_switch_vs_steady": round(s_p99 / q_p99, 2) if q_p99 else None,
        "background_failures": int(result.measures.get("num_failures", 0)),
    }
    (out / "bench.json").write_text(json.dumps(figures, indent=2) + "\n")
    console.rule("figures")
    for key, value in figures.items():
        console.print(f"{key:>28}: {value}")
    console.print(f"saved: {out / 'bench.json'}")
    return 0 if figures["background_failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
