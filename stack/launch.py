"""Supervisor's entry for the service's programs: exec a colour's gunicorn, or the worker.

`python -m stack.launch STATE_DIR colour blue` or `... STATE_DIR worker`. What runs is read at
start: the colour's assignment (release dir and its venv) and the release's own contract
(kit.toml in the release), so a release that changes its entry points or its dependencies
starts the way it declares, without touching supervisord's config.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from kitcore.colours import check_colour
from kitcore.contract import CONTRACT_FILE, Contract, ContractError, load_contract
from stack.appenv import APP_ENV_FILE
from stack.assigned import Assignment, read_assignment
from stack.routing import read_record
from stack.venvs import venv_program


def environment(state_dir: Path, assignment: Assignment, contract: Contract) -> dict[str, str]:
    """Build the service's environment: the stack's services plus the release's own paths."""
    env = json.loads((state_dir / APP_ENV_FILE).read_text())
    env = {k: v for k, v in env.items() if not k.startswith("KIT_")}
    env |= {
        contract.serve.version_env: assignment.release.version,
        # The release's code first on the import path; its packages come from its own venv.
        "PYTHONPATH": str(assignment.release.source_dir),
        "PATH": f"{assignment.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "VIRTUAL_ENV": str(assignment.venv),
        "HOME": os.environ.get("HOME", "/nonexistent"),
        "LANG": "C.UTF-8",
    }
    return dict(env)


def exec_colour(state_dir: Path, colour: str) -> None:
    """Replace this process with gunicorn serving colour's release on its port."""
    assignment, contract = _assigned(state_dir, check_colour(colour))
    binds = json.loads((state_dir / APP_ENV_FILE).read_text())
    env = environment(state_dir, assignment, contract)
    bind = binds[f"KIT_{colour.upper()}_BIND"]
    env |= {contract.serve.colour_env: colour, "GUNICORN_BIND": bind}
    gunicorn = venv_program(assignment.venv, "gunicorn")
    release_dir = str(assignment.release.source_dir)
    # --bind on the command line wins over the service's config: the stack owns the ports.
    config = f"python:{contract.serve.gunicorn_config}"
    args = [gunicorn, "-c", config, "--bind", bind, "--chdir", release_dir]
    os.chdir(release_dir)
    os.execve(gunicorn, [*args, contract.serve.wsgi], env)  # noqa: S606 - the contract's program


def exec_worker(state_dir: Path) -> None:
    """Replace this process with the worker command of the active colour's release."""
    record = read_record(state_dir / "nginx")
    colour = record.active if record else "blue"
    assignment, contract = _assigned(state_dir, colour)
    if not contract.serve.worker:
        sys.exit(f"error: the release of {colour} declares no worker (serve.worker)")
    os.chdir(assignment.release.source_dir)
    env = environment(state_dir, assignment, contract)
    program, *args = contract.serve.worker
    executable = venv_program(assignment.venv, program)
    os.execve(executable, [executable, *args], env)  # noqa: S606 - the contract's program


def _assigned(state_dir: Path, colour: str) -> tuple[Assignment, Contract]:
    """Return colour's assignment and its release's contract, or exit with one clear line."""
    assignment = read_assignment(state_dir, colour)
    if assignment is None:
        sys.exit(f"error: no release recorded for {colour} in {state_dir}/colours")
    try:
        contract = load_contract(assignment.release.source_dir / CONTRACT_FILE)
    except ContractError as exc:
        sys.exit(f"error: {exc}")
    return assignment, contract


def main(argv: list[str]) -> None:
    """Dispatch `STATE_DIR colour NAME` or `STATE_DIR worker`."""
    match argv:
        case [state, "colour", colour]:
            exec_colour(Path(state), colour)
        case [state, "worker"]:
            exec_worker(Path(state))
        case _:
            sys.exit("usage: python -m stack.launch STATE_DIR (colour NAME | worker)")


if __name__ == "__main__":
    main(sys.argv[1:])
