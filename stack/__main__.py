"""`python -m stack up|down|status`: the Makefile's up, down and status targets."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from kitcore.contract import ContractError, load_contract
from stack.config import StackConfig
from stack.errors import StackError
from stack.stack import LocalStack


def main(argv: list[str] | None = None) -> int:
    """Run one stack command; errors are one line on stderr (exit 1; 2 for a bad contract)."""
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--contract", help="the service's kit.toml (default: the kit's own)")
    args = parser.parse_args(argv)
    console = Console()
    try:
        contract = load_contract(args.contract)
    except ContractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        config = StackConfig.from_env(contract.root)
        stack = LocalStack(config, contract, echo=console.print)
        if args.command == "up":
            stack.up()
            stack.status().render(console)
            console.print(f"     {'CA':>3}: {stack.ca_cert_path} (trust it, e.g. curl --cacert)")
        elif args.command == "down":
            stack.down()
        else:
            stack.status().render(console)
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
