"""app/migrations: upgrade from empty to head and back, on PostgreSQL and SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from app_helpers import make_settings
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app import create_app
from app.extensions import db


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def assert_round_trip(database_url: str) -> None:
    """Upgrade to head, compare with the models, downgrade to base."""
    app = create_app(make_settings(database_url))
    with app.app_context():
        assert table_names() == set()
        upgrade()
        # Every model's table, and nothing else, exists at head.
        assert table_names() == {"alembic_version", *db.metadata.tables}
        assert {"users", "items"} <= table_names()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            # The models and the migrations describe the same schema.
            assert compare_metadata(context, db.metadata) == []
        downgrade(revision="base")
        assert table_names() == {"alembic_version"}
        upgrade()  # and forward again, as a redeploy would
        assert {"users", "items"} <= table_names()
        db.engine.dispose()


def test_postgres_round_trip(pg_database: str) -> None:
    assert_round_trip(pg_database)


def test_sqlite_round_trip(tmp_path: Path) -> None:
    assert_round_trip(f"sqlite:///{tmp_path / 'migrations.db'}")


def test_every_revision_has_a_downgrade() -> None:
    versions = Path(__file__).resolve().parents[3] / "app" / "migrations" / "versions"
    revisions = sorted(versions.glob("*.py"))
    assert revisions
    for revision in revisions:
        source = revision.read_text()
        assert "def downgrade() -> None:" in source, revision.name
        assert "import app" not in source, revision.name  # revisions must not import the app


@pytest.mark.parametrize("name", ["users", "items"])
def test_postgres_constraints_have_stable_names(pg_migrated: str, name: str) -> None:
    app = create_app(make_settings(pg_migrated))
    with app.app_context():
        inspector = inspect(db.engine)
        assert inspector.get_pk_constraint(name)["name"] == f"pk_{name}"
        uniques = {constraint["name"] for constraint in inspector.get_unique_constraints(name)}
        expected = {"users": {"uq_users_email"}, "items": {"uq_items_owner_id_title"}}[name]
        assert uniques == expected
        db.engine.dispose()
