"""`python -m stack up|down|status`: the Makefile's up, down and status targets."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from kitcore.paths import KIT_ROOT
from stack.config import StackConfig
from stack.errors import StackError
from stack.stack import LocalStack


def main(argv: list[str] | None = None) -> int:
    """Run one stack command; errors are one line on stderr and exit status 1."""
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status"])
    args = parser.parse_args(argv)
    console = Console()
    try:
        stack = LocalStack(StackConfig.from_env(KIT_ROOT), echo=console.print)
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
