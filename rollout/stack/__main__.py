"""`python -m rollout.stack up|down|status`: the Makefile's up, down and status targets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from rollout.stack.config import StackConfig
from rollout.stack.errors import StackError
from rollout.stack.stack import LocalStack

REPO_ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    """Run one stack command; errors are one line on stderr and exit status 1."""
    parser = argparse.ArgumentParser(prog="python -m rollout.stack", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status"])
    args = parser.parse_args(argv)
    console = Console()
    try:
        stack = LocalStack(StackConfig.from_env(REPO_ROOT), echo=console.print)
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
