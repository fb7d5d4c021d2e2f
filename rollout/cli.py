"""`rollout`: blue-green deploy, switch, rollback and status for the local stack and Kubernetes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from rollout.exitcodes import Exit, help_text
from rollout.flow import Options, Rollout, RolloutFailed
from rollout.gates import DEFAULT_GATES_FILE, GateConfigError, resolve_gates
from rollout.loaduser import load_user_env
from rollout.release import ReleaseError, checkout_version, materialise
from rollout.report import report_dir
from rollout.stack.config import resolve_state_dir
from rollout.state import RolloutLocked, StateStore
from rollout.targets import TARGETS, get_target
from rollout.targets.base import Release, Target, TargetError, TargetNotImplemented

REPO_ROOT = Path(__file__).resolve().parent.parent


def state_dir() -> Path:
    """Return the local state dir, where the stack keeps its own (see resolve_state_dir)."""
    return resolve_state_dir(REPO_ROOT, os.environ)


def build_parser() -> argparse.ArgumentParser:
    """Describe the commands and options."""
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="rollout", description=__doc__, epilog=help_text(), formatter_class=fmt
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--target", choices=TARGETS, default="local", help="where (default local)")
    k8s = common.add_argument_group("k8s target (k8s/README.md)")
    k8s.add_argument("--overlay", help="kustomize overlay: dev, staging, prod or a path")
    k8s.add_argument("--namespace", default="flask-kit", help="namespace (default flask-kit)")
    k8s.add_argument("--context", help="kubeconfig context (default: the current one)")
    k8s.add_argument("--public-url", help="public route (default https://APP_DOMAIN of overlay)")
    k8s.add_argument("--ca-cert", type=Path, help="CA bundle for the public route")
    k8s.add_argument("--rollout-timeout", type=float, default=600, help="seconds (default 600)")
    k8s.add_argument("--kubectl", help="kubectl binary (default: PATH's, else the locked one)")

    deploy = sub.add_parser(
        "deploy", parents=[common], help="release a version through the whole gated flow",
        description="Deploy idle colour, migrate (expand only), verify, gate, switch, verify "
        "after the switch (switch back on failure), stop the old colour.",
        epilog=help_text(), formatter_class=fmt,
    )  # fmt: skip
    deploy.add_argument("--version", help="version name (default: git short sha, -dirty if so)")
    deploy.add_argument("--release-dir", type=Path, help="deploy this prepared source tree")
    deploy.add_argument("--gates", type=Path, default=DEFAULT_GATES_FILE, help="gates TOML")
    deploy.add_argument(
        "--gate-set", action="append", default=[], metavar="GATE.KEY=VALUE",
        help="override a gate threshold, e.g. pre_switch.max_p95_ms=400 (repeatable)",
    )  # fmt: skip
    deploy.add_argument("--force-migration", action="store_true", help="run contracting migrations")
    deploy.add_argument(
        "--stop-delay", type=float, default=10.0, help="seconds before stopping old"
    )
    deploy.add_argument(
        "--background-load", action="store_true", help="steady locust load on the public route"
    )
    deploy.add_argument("--keep-failed", action="store_true", help="keep a failed colour running")
    deploy.add_argument("--reports", type=Path, default=REPO_ROOT / "reports" / "rollouts")
    deploy.add_argument("--image", help="k8s: image to release, by digest (repo@sha256:...)")

    switch = sub.add_parser("switch", parents=[common], help="send traffic to the other colour")
    switch.add_argument("--to", choices=("blue", "green"), help="colour (default: the idle one)")
    sub.add_parser("rollback", parents=[common], help="put the previous version back")
    sub.add_parser("status", parents=[common], help="active colour, versions, last rollouts")
    return parser


def prepare_release(args: argparse.Namespace) -> Release:
    """Pick the release: --release-dir as given, else materialise the checkout."""
    releases = state_dir() / "releases"
    if args.release_dir:
        if not (args.release_dir / "app").is_dir():
            raise ReleaseError(f"{args.release_dir} does not look like a release (no app/)")
        version = args.version or args.release_dir.resolve().name
        return Release(version, args.release_dir.resolve())
    version = args.version or checkout_version(REPO_ROOT)
    return Release(version, materialise(REPO_ROOT, releases, version))


def deploy(args: argparse.Namespace, target: Target, store: StateStore, console: Console) -> Exit:
    """Run the whole flow and print where its report is."""
    gates = resolve_gates(args.gates, args.gate_set)
    if args.target == "k8s":
        from rollout.targets import k8s_ops

        k8s_ops.check_deploy_args(args)
        release = k8s_ops.with_image(prepare_release(args), args.image)
    else:
        release = prepare_release(args)
    opts = Options(
        gates=gates, reports_base=args.reports, force_migration=args.force_migration,
        stop_delay_s=args.stop_delay, background_load=args.background_load,
        keep_failed=args.keep_failed, load_env=load_user_env(state_dir()),
    )  # fmt: skip
    outcome = Rollout(target, store, release, opts, console).run(
        report_dir(args.reports, release.version)
    )
    colour = "green" if outcome.code == Exit.PROMOTED else "red"
    console.print(f"[bold {colour}]{outcome.reason}[/] (exit {int(outcome.code)})")
    console.print(f"report: {outcome.report_dir}/summary.txt")
    return outcome.code


def _error(message: object) -> None:
    """Print one plain line on stderr (never wrapped, never styled)."""
    print(f"rollout: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rollout` console script."""
    args = build_parser().parse_args(argv)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    store = StateStore(state_dir() / "rollout.json")
    from rollout import ops  # after parsing: --help stays fast

    try:
        if args.command == "status":
            try:
                target: Target | None = get_target(args.target, REPO_ROOT, vars(args))
            except Exception as exc:  # status must work even when the stack cannot be reached
                console.print(f"[yellow]target unavailable: {exc}[/]")
                target = None
            return int(ops.status(target, store, console))
        target = get_target(args.target, REPO_ROOT, vars(args))
        if args.command == "deploy":
            return int(deploy(args, target, store, console))
        if args.target == "k8s":
            from rollout.targets import k8s_ops

            if args.command == "switch":
                return int(k8s_ops.switch(target, store, console, args.to))
            return int(k8s_ops.rollback(target, store, console))
        if args.command == "switch":
            return int(ops.switch(target, store, console, args.to))
        return int(ops.rollback(target, store, state_dir() / "releases", console))
    except TargetNotImplemented as exc:
        _error(exc)
        return int(Exit.USAGE)
    except RolloutLocked as exc:
        _error(exc)
        return int(Exit.LOCKED)
    except RolloutFailed as exc:
        _error(exc.reason)
        return int(exc.code)
    except (GateConfigError, ReleaseError) as exc:
        _error(exc)
        return int(Exit.USAGE)
    except TargetError as exc:
        _error(exc)
        return int(Exit.NOT_READY)
    except KeyboardInterrupt:
        _error("interrupted")
        return int(Exit.INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main())
