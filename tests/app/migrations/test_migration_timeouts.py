"""app/migrations/env.py on PostgreSQL: migrations get their own statement and lock timeouts."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.script import ScriptDirectory
from app_helpers import make_settings
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.exc import OperationalError

from app import create_app
from app.extensions import MIGRATIONS_DIR, db
from tests.support.postgres import PostgresServer

REVISION = '''"""A test revision."""
import sqlalchemy as sa
from alembic import op

revision = "9999_test"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
{body}


def downgrade() -> None:
    pass
'''


@pytest.fixture
def database(pg_server: PostgresServer) -> Iterator[str]:
    """A fresh database of its own for one test."""
    name = f"timeouts_{uuid.uuid4().hex[:10]}"
    pg_server.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.url(name)
    pg_server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrations_with(tmp_path: Path, body: str) -> str:
    """Copy app/migrations and add one revision on top of its head running BODY."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory, ignore=shutil.ignore_patterns("__pycache__"))
    head = ScriptDirectory(str(directory)).get_current_head()
    text = REVISION.format(head=head, body="    " + body)
    (directory / "versions" / "9999_test.py").write_text(text)
    return str(directory)


def migrate(app: Flask, directory: str, revision: str = "head") -> None:
    with app.app_context():
        try:
            upgrade(directory=directory, revision=revision)
        finally:
            db.engine.dispose()


def test_a_statement_longer_than_the_apps_timeout_succeeds(database: str, tmp_path: Path) -> None:
    app = create_app(make_settings(database))
    assert app.config["SETTINGS"].database.statement_timeout_ms == 5000  # the app's bound
    directory = migrations_with(tmp_path, 'op.execute("SELECT pg_sleep(5.5)")')
    migrate(app, directory)
    with psycopg.connect(database) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            "9999_test",
        )


def test_a_migration_blocked_by_a_lock_fails_fast(database: str, tmp_path: Path) -> None:
    settings = make_settings(database, database={"migration_lock_timeout_ms": 500})
    app = create_app(settings)
    directory = migrations_with(tmp_path, 'op.add_column("items", sa.Column("x", sa.Text()))')
    migrate(app, directory, revision=ScriptDirectory(MIGRATIONS_DIR).get_current_head() or "")
    with psycopg.connect(database) as reader:
        reader.execute("SELECT * FROM items")  # a long transaction holds ACCESS SHARE on items
        started = time.monotonic()
        with pytest.raises(OperationalError, match="canceling statement due to lock timeout"):
            migrate(app, directory)
        waited = time.monotonic() - started
    assert waited < 2.5  # not the app's 5 s, and not forever
