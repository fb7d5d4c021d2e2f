"""`rollout`: blue-green deploy, switch, rollback and status for the local stack and Kubernetes;
`rollout render` prints the service's Kubernetes manifests for an overlay."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml
from rich.console import Console

from kitcore.contract import Contract, ContractError, load_contract
from kitcore.release import ReleaseError
from rollout.errors import RolloutFailed, RolloutLocked, TargetError
from rollout.exitcodes import Exit, help_text
from rollout.kube.apply import shared_objects
from rollout.kube.render import RenderError, overlay_path, render_overlay, render_yaml
from rollout.targets import TARGETS, build_target
from rollout.targets.base import ReleaseRequest
from rollout.verify.gates import GateConfigError
from stack.config import resolve_state_dir


def state_dir(contract: Contract) -> Path:
    """Return the service's local state dir, where its stack keeps its own."""
    return resolve_state_dir(contract.root, os.environ)


def build_parser() -> argparse.ArgumentParser:
    """Describe the commands and options."""
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="rollout", description=__doc__, epilog=help_text(), formatter_class=fmt
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--contract", help="the service's kit.toml (default: $KIT_CONTRACT, else the kit's own)"
    )
    common.add_argument("--target", choices=TARGETS, default="local", help="where (default local)")
    k8s = common.add_argument_group("k8s target (k8s/README.md)")
    k8s.add_argument("--overlay", help="kustomize overlay: dev, staging, prod or a path")
    k8s.add_argument("--namespace", help="namespace (default: the contract's)")
    k8s.add_argument("--context", help="kubeconfig context (default: the current one)")
    k8s.add_argument("--public-url", help="public route (default https://APP_DOMAIN of overlay)")
    k8s.add_argument("--ca-cert", type=Path, help="CA bundle for the public route")
    k8s.add_argument("--rollout-timeout", type=float, default=600, help="seconds (default 600)")
    k8s.add_argument("--kubectl", help="kubectl binary (default: PATH's, else the locked one)")
    k8s.add_argument("--gate-image", help="gate image (Dockerfile.gate): gates run as a Job")
    k8s.add_argument(
        "--gate-from-here", action="store_true",
        help="run the gates' locust on this machine through a port-forward (laptops)",
    )  # fmt: skip

    deploy = sub.add_parser(
        "deploy", parents=[common], help="release a version through the whole gated flow",
        description="Deploy idle colour, migrate (expand only), verify, gate, switch, verify "
        "after the switch (switch back on failure), stop the old colour.",
        epilog=help_text(), formatter_class=fmt,
    )  # fmt: skip
    deploy.add_argument("--version", help="version name (default: git short sha, -dirty if so)")
    deploy.add_argument("--release-dir", type=Path, help="deploy this prepared source tree")
    deploy.add_argument("--gates", type=Path, help="gates TOML (default: the contract's)")
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
    deploy.add_argument("--reports", type=Path, help="report dir (default: reports/rollouts)")
    deploy.add_argument("--image", help="k8s: image to release, by digest (repo@sha256:...)")

    switch = sub.add_parser("switch", parents=[common], help="send traffic to the other colour")
    switch.add_argument("--to", choices=("blue", "green"), help="colour (default: the idle one)")
    sub.add_parser("rollback", parents=[common], help="put the previous promoted release back")
    sub.add_parser(
        "abort", parents=[common],
        help="stop the rollout in progress (it recovers), or settle one a dead process left",
    )  # fmt: skip
    sub.add_parser("status", parents=[common], help="active colour, versions, last rollouts")

    render = sub.add_parser(
        "render", help="print the service's Kubernetes manifests for an overlay",
        description="Render an overlay with the service layer written from the contract "
        "(namespace, <prefix>- names, labels, commands; k8s/README.md) and print one YAML "
        "stream, e.g. `rollout render --overlay prod | kubectl apply --server-side -f -`.",
    )  # fmt: skip
    render.add_argument("--overlay", required=True, help="dev, staging, prod or a path")
    render.add_argument(
        "--contract", help="the service's kit.toml (default: $KIT_CONTRACT, else the kit's own)"
    )
    render.add_argument("--kubectl", help="kubectl binary (default: the locked one, else PATH's)")
    render.add_argument(
        "--shared", action="store_true",
        help="leave out what only a rollout changes (the colours, the worker, the migration Job): "
        "what to apply after the first install",
    )  # fmt: skip
    return parser


def run(args: argparse.Namespace, console: Console) -> Exit:
    """Dispatch one parsed command to the command layer."""
    contract = load_contract(args.contract)
    if args.command == "render":
        overlay = overlay_path(args.overlay)
        if not args.shared:
            sys.stdout.write(render_yaml(contract, overlay, args.kubectl))
        else:
            docs = shared_objects(render_overlay(contract, overlay, args.kubectl), contract)
            sys.stdout.write(yaml.safe_dump_all(docs, sort_keys=False))
        return Exit.PROMOTED  # 0: done

    from rollout import commands  # after parsing: --help stays fast
    from rollout.flow import Options
    from rollout.status import status
    from rollout.verify.gates import resolve_gates
    from rollout.verify.load_account import load_user_env
    from rollout.verify.loadrun import LoadSpec

    states = state_dir(contract)
    target = build_target(args.target, contract, vars(args))
    store = target.store()
    if args.command == "status":
        return status(target, store, console)
    if args.command == "switch":
        return commands.switch(target, store, console, args.to)
    if args.command == "rollback":
        return commands.rollback(target, store, console)
    if args.command == "abort":
        return commands.abort(target, store, console)
    request = ReleaseRequest(args.version, args.release_dir, args.image)
    release = target.make_release(request, states / "releases")
    thresholds = args.gates or contract.path(contract.gate.thresholds)
    gates = resolve_gates(thresholds, args.gate_set, target.environment)
    opts = Options(
        gates=gates, reports_base=args.reports or contract.root / "reports" / "rollouts",
        load=LoadSpec.of(contract), force_migration=args.force_migration,
        stop_delay_s=args.stop_delay, background_load=args.background_load,
        keep_failed=args.keep_failed, load_env=load_user_env(states),
    )  # fmt: skip
    return commands.deploy(target, store, release, opts, console).code


def _error(message: object) -> None:
    """Print one plain line on stderr (never wrapped, never styled)."""
    print(f"rollout: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rollout` console script."""
    args = build_parser().parse_args(argv)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    try:
        return int(run(args, console))
    except RolloutLocked as exc:
        _error(exc)
        return int(Exit.LOCKED)
    except RolloutFailed as exc:
        _error(exc.reason)
        return int(exc.code)
    except (ContractError, GateConfigError, ReleaseError, RenderError) as exc:
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
