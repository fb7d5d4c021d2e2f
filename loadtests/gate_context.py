"""The gate image's build context, staged from the contract: the kit's gate, the service's load.

`scripts/gate-image.sh` builds loadtests/Dockerfile.gate from a context made here: kit/ holds
what the gate runs of the kit (kitcore, the verdict modules of rollout.verify, loadtests/ with
the gate plugin and locust.conf), service/ the directory of the contract's locustfile (at its
path under the service's root), gate-requirements.txt the pinned load generator and
with-ca.sh (the kit's extra-CA wrapper for the builder's downloads).
Usage: python -m loadtests.gate_context [--contract FILE] DEST_DIR  (prints the build args)
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from kitcore.contract import Contract, ContractError, load_contract
from kitcore.paths import KIT_ROOT

# What the gate entrypoint imports of the kit, and nothing else (no app, no rollout CLI).
KIT_PATHS = (
    "kitcore",
    "loadtests",
    "rollout/__init__.py",
    "rollout/verify/__init__.py",
    "rollout/verify/gates.py",
    "rollout/verify/verdict.py",
    "rollout/verify/loadrun.py",
)
JUNK = ("__pycache__", "*.pyc", "*.env", ".DS_Store")


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(*JUNK), dirs_exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def stage(contract: Contract, dest: Path) -> list[str]:
    """Fill dest with kit/, service/ and the requirements; return the build arguments."""
    for rel in KIT_PATHS:
        _copy(KIT_ROOT / rel, dest / "kit" / rel)
    shutil.copy2(KIT_ROOT / "loadtests" / "gate-requirements.txt", dest / "gate-requirements.txt")
    shutil.copy2(KIT_ROOT / "scripts" / "docker" / "with-ca.sh", dest / "with-ca.sh")
    locustfile = contract.path(contract.gate.locustfile)
    rel = locustfile.relative_to(contract.root.resolve())
    # The locustfile's directory: its own helper modules travel with it.
    _copy(locustfile.parent, dest / "service" / rel.parent)
    return [f"LOCUSTFILE={rel.as_posix()}", f"IMAGE_TITLE={contract.name}-gate"]


def main(argv: list[str] | None = None) -> int:
    """Stage the context and print one build argument per line."""
    parser = argparse.ArgumentParser(prog="python -m loadtests.gate_context")
    parser.add_argument("--contract", default=None, help="the service's kit.toml")
    parser.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    try:
        contract = load_contract(args.contract)
    except ContractError as exc:
        print(exc, file=sys.stderr)
        return 2
    for arg in stage(contract, args.dest):
        print(arg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
