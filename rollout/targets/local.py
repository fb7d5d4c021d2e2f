"""The local target: colours are gunicorn processes of the local stack behind its Nginx."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from rollout.checks import ColourSpec, run_checks
from rollout.migrations import pending_scripts
from rollout.smoke import smoke
from rollout.stack import LocalStack, StackConfig, StackError
from rollout.targets.base import CheckResult, Release, TargetError, TargetStatus

MIGRATIONS = Path("app") / "migrations"


class LocalTarget:
    """Blue-green on the local stack, through the LocalStack API only."""

    name = "local"

    def __init__(self, repo_root: Path, stack: LocalStack | None = None) -> None:
        self.stack = stack or LocalStack(StackConfig.from_env(repo_root))

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        """Run a stack call, turning StackError into TargetError with context."""
        try:
            return fn(*args)
        except StackError as exc:
            raise TargetError(f"{what}: {exc}") from exc

    def ensure_ready(self) -> None:
        """Bring the stack up (idempotent: a running stack is left as it is)."""
        self._call("stack up", self.stack.up)

    def active_colour(self) -> str:
        """Ask Nginx's public upstream include which colour is active."""
        return str(self._call("active colour", self.stack.active_colour))

    def deploy_idle(self, colour: str, release: Release) -> None:
        """Start gunicorn for the colour from the release dir; returns once it answers."""
        self._call(
            f"start {colour}", self.stack.start_colour, colour, release.source_dir, release.version
        )

    def pending_migrations(self, release: Release) -> list[Path]:
        """Compare the database's alembic heads with the release's revision scripts."""
        url = self.stack.app_env()["DATABASE_URL"]
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                heads = MigrationContext.configure(conn).get_current_heads()
        except Exception as exc:
            raise TargetError(f"cannot read the database's migration heads: {exc}") from exc
        finally:
            engine.dispose()
        return pending_scripts(release.source_dir / MIGRATIONS, tuple(heads))

    def migrate(self, release: Release) -> None:
        """Run `flask db upgrade` from the release against the stack database."""
        self._call("migrate", self.stack.migrate, release.source_dir)

    def verify(self, colour: str, release: Release, out_dir: Path) -> CheckResult:
        """testinfra checks on the host, then smoke checks through the preview route."""
        spec = ColourSpec(
            colour=colour,
            port=self.stack.colour_port(colour),
            version=release.version,
            release_dir=str(release.source_dir.resolve()),
            user=getpass.getuser(),
            config_files=[str(p) for p in self.stack.nginx_conf_paths],
        )
        passed, failures, junit = run_checks(spec, out_dir)
        failures += [
            f"smoke {f}" for f in smoke(self.preview_url(), colour, release.version, self.ca_cert())
        ]
        summary = f"testinfra {'passed' if passed else 'failed'} ({junit.name}); smoke via preview"
        return CheckResult(not failures, summary, failures, [junit, out_dir / "testinfra.txt"])

    def public_url(self) -> str:
        """Return Nginx's public HTTPS URL."""
        return str(self.stack.public_url)

    def preview_url(self) -> str:
        """Return Nginx's preview HTTPS URL (routes to the idle colour)."""
        return str(self.stack.preview_url)

    def ca_cert(self) -> Path | None:
        """Return the stack's locally generated CA."""
        return Path(self.stack.ca_cert_path)

    def switch(self, colour: str) -> None:
        """Rewrite the upstream include, nginx -t, reload, wait for old workers, confirm."""
        self._call(f"switch to {colour}", self.stack.route, colour)

    def stop(self, colour: str) -> None:
        """Stop the colour's gunicorn gracefully (it no longer receives traffic)."""
        self._call(f"stop {colour}", self.stack.stop_colour, colour)

    def status(self) -> TargetStatus:
        """Translate the stack's status into the target status."""
        st = self._call("status", self.stack.status)
        colours = st.colours
        return TargetStatus(
            active=st.active_colour,
            colours={
                str(k): {a: str(b) for a, b in _as_dict(v).items()} for k, v in colours.items()
            },
            processes=[
                {a: str(b) for a, b in _as_dict(p).items()} for p in getattr(st, "processes", [])
            ],
        )


def _as_dict(obj: Any) -> dict[str, Any]:
    """Read a dataclass or mapping as a dict (the stack's status types stay its own)."""
    if isinstance(obj, dict):
        return obj
    return dict(getattr(obj, "__dict__", {}))
