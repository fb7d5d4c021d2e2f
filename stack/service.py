"""The service's own commands, run from a release dir in the venv of that release's lock.

Migrations (the contract's [migrate] command, when the database lacks a revision of the
release) and the demo seed go through here, with the same environment as the colours.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from kitcore.contract import Contract
from kitcore.migrations import database_heads, pending_revisions
from kitcore.release import Release
from stack.errors import StackError
from stack.proc import run
from stack.venvs import COMPLETE, ensure_venv, venv_key, venv_program


class ServiceCommands:
    """Run the service's commands for one stack (its state dir holds the venvs)."""

    def __init__(self, contract: Contract, state_dir: Path, echo: Callable[[str], None]) -> None:
        self.contract, self.venvs, self.echo = contract, state_dir / "venvs", echo

    def venv(self, release: Release) -> Path:
        """Return the venv of the release's lock, building it (and saying so) when new."""
        if not (self.venvs / venv_key(release.source_dir, self.contract) / COMPLETE).exists():
            self.echo(f"building the virtualenv of {release.version}'s lock")
        return ensure_venv(release.source_dir, self.contract, self.venvs)

    def run(self, release: Release, argv: list[str], env: Mapping[str, str]) -> str:
        """Run a command of the service from the release dir, in its venv, with env."""
        venv = self.venv(release)
        program, *args = argv
        full = dict(env) | {
            "PYTHONPATH": str(release.source_dir),
            "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "VIRTUAL_ENV": str(venv),
        }
        command = [venv_program(venv, program), *args]
        return run(command, env=full, cwd=release.source_dir, timeout=300).stdout

    def migrate(self, release: Release, env: Mapping[str, str]) -> None:
        """Run the contract's migration command (upgrade) from the release."""
        if self.contract.migrate is not None:
            self.run(release, self.contract.migrate.upgrade(), env)

    def migrate_if_pending(self, release: Release, env: Mapping[str, str]) -> None:
        """Apply the release's revisions the database lacks (the database is the ledger)."""
        revisions = self.contract.release_revisions(release.source_dir)
        if revisions and pending_revisions(revisions, self.database_heads(env)):
            self.echo(f"migrating the database for {release.version}")
            self.migrate(release, env)

    def database_heads(self, env: Mapping[str, str]) -> tuple[str, ...]:
        """Return the heads the database records."""
        try:
            return database_heads(env["DATABASE_URL"])
        except Exception as exc:  # SQLAlchemy's errors: the stack speaks StackError
            raise StackError(f"cannot read the database's migration heads: {exc}") from exc

    def seed(self, release: Release, env: Mapping[str, str]) -> None:
        """Run the contract's demo seed command, when it has one."""
        if self.contract.demo.seed:
            self.run(release, self.contract.demo.seed, env)
