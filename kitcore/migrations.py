"""Alembic revisions: which of a release's scripts the database has not applied yet.

The database is the one ledger of what ran: its version table's heads, compared with the
release's revision scripts. A database ahead of a release (a newer release migrated it, and
expand-only migrations keep older code working) has nothing pending for that release.
"""

from __future__ import annotations

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from sqlalchemy import create_engine


def sqlalchemy_url(url: str) -> str:
    """Select the installed PostgreSQL driver (psycopg 3) for a postgres:// URL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def database_heads(url: str) -> tuple[str, ...]:
    """Return the revisions the database's version table records (empty when never migrated)."""
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            return tuple(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def script_heads(revisions_dir: Path) -> list[str]:
    """Return the head revisions of a release's scripts."""
    return sorted(ScriptDirectory(str(revisions_dir)).get_heads())


def pending_revisions(revisions_dir: Path, current_heads: tuple[str, ...]) -> list[Path]:
    """List the revision files between the database's heads and the scripts' heads, in order."""
    scripts = ScriptDirectory(str(revisions_dir))
    applied: set[str] = set()
    try:
        for head in current_heads:
            applied.update(s.revision for s in scripts.iterate_revisions(head, "base"))
    except RevisionError:
        return []  # a head these scripts do not know: the database is ahead of this release
    pending = [s for s in scripts.walk_revisions("base", "heads") if s.revision not in applied]
    # walk_revisions goes from the heads down: apply order is the reverse.
    return [Path(s.path) for s in reversed(pending)]
