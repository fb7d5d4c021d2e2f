"""`make soak N=...`: N consecutive rollouts on the local stack under load, with faults injected.

Exit codes: 0 every criterion met, 1 error (the stack failed), 2 usage, 20 accepted writes
lost, 21 failed requests outside fault windows, 22 a good release not promoted, 23 a bad
release not refused, 24 queued jobs not completed, 25 --max-minutes reached first,
130 interrupted.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

from rich.console import Console
from rich.markup import escape

from kitcore.contract import ContractError, load_contract
from rollout.errors import RolloutFailed
from rollout.soak import report
from rollout.soak.accounting import SoakExit
from rollout.soak.run import SOAK_GATES, Soak, SoakOptions
from rollout.soak.schedule import FAULT_KINDS
from rollout.soak.service import SoakLoadMissing, load_factory
from stack import StackError


def parse(argv: list[str] | None) -> argparse.Namespace:
    """Parse the soak's options."""
    parser = argparse.ArgumentParser(
        prog="python -m rollout.soak", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("-n", "--rollouts", type=int, default=6, help="rollouts (default 6)")
    parser.add_argument(
        "--bad-every",
        type=int,
        default=5,
        help="a bad release at rollout 2, 2+K, ... (0: none; default 5)",
    )
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=40.0,
        help="stop starting rollouts after this long (default 40)",
    )
    parser.add_argument(
        "--delay-ms",
        type=float,
        default=150.0,
        help="latency the slow database adds per chunk, each way (default 150)",
    )
    parser.add_argument(
        "--proxy-port",
        type=int,
        default=0,
        help="the latency proxy's port (default: the Postgres port + 1)",
    )
    parser.add_argument(
        "--gate-set",
        action="append",
        default=[],
        metavar="GATE.KEY=VALUE",
        help=f"gate override on top of the soak's ({', '.join(SOAK_GATES)})",
    )
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        choices=FAULT_KINDS,
        metavar="KIND",
        help=f"leave a fault kind out (repeatable; kinds: {', '.join(FAULT_KINDS)})",
    )
    parser.add_argument("--keep", action="store_true", help="leave the stack up at the end")
    parser.add_argument("--contract", help="the service's kit.toml (default: the kit's own)")
    args = parser.parse_args(argv)  # fmt: skip
    if args.rollouts < 1:
        parser.error("--rollouts must be at least 1")
    return args


def kinds_of(args: argparse.Namespace) -> tuple[str, ...]:
    """The fault kinds the soak injects: every kind but those left out."""
    return tuple(kind for kind in FAULT_KINDS if kind not in args.without)


def main(argv: list[str] | None = None) -> int:
    """Run the soak, print and write its report; the exit code is the first unmet criterion."""
    args = parse(argv)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    try:
        contract = load_contract(args.contract)
        load_factory(contract)  # refused before any process starts
    except (ContractError, SoakLoadMissing) as exc:
        print(f"soak: {exc}", file=sys.stderr)
        return int(SoakExit.USAGE)
    out = contract.root / "reports" / f"soak-{time.strftime('%Y%m%d-%H%M%S')}"
    opts = SoakOptions(
        args.rollouts, out, args.bad_every, args.max_minutes, args.keep, args.delay_ms,
        args.proxy_port, args.gate_set,
        kinds_of(args),
    )  # fmt: skip
    started = time.time()
    try:
        figures, load = Soak(contract, opts, console).run()
    except (StackError, RolloutFailed) as exc:
        console.print(f"[red]soak: {escape(str(exc))}[/]")
        return int(SoakExit.ERROR)
    except KeyboardInterrupt:
        console.print("[yellow]soak interrupted: stack and proxy stopped[/]")
        return int(SoakExit.INTERRUPTED)
    console.rule("soak summary")
    report.print_table(console, figures, load.rec.requests)
    command = shlex.join(["python", "-m", "rollout.soak", *(argv or sys.argv[1:])])
    page = report.write(out, load.rec.requests, figures, command)
    console.print(f"report: {page} (summary.json, chart.png)")
    console.print(f"soak took {(time.time() - started) / 60:.1f} min")
    code = figures.exit_code()
    colour = "green" if code == SoakExit.PASSED else "red"
    console.print(
        f"[bold {colour}]soak {'passed' if code == 0 else 'FAILED'}[/] (exit {int(code)})"
    )
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
