"""The expand-only check's concurrent-index recipe, run by Alembic against a real PostgreSQL."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from rollout.verify.expand_only import check_script
from tests.support.postgres import PostgresServer, serving_postgres, serving_template

PORTS = (24700, 24799)  # beside the rollout suite's live stack (24100-24699)
ENV = """
from alembic import context

with context.config.attributes["connection"] as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
"""
TABLE = """
op.create_table(
    "items", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("title", sa.Text())
)
op.execute("INSERT INTO items (title) SELECT 'item ' || n FROM generate_series(1, 1000) AS n")
"""
RECIPE = """
with op.get_context().autocommit_block():
    op.create_index(
        "ix_items_title", "items", ["title"], postgresql_concurrently=True, if_not_exists=True
    )
"""
IN_TRANSACTION = """
op.create_index("ix_items_title", "items", ["title"], postgresql_concurrently=True)
"""


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    """A private PostgreSQL for this module."""
    for template in serving_template():
        yield from serving_postgres(template, PORTS)


def revisions(root: Path, second: str) -> Config:
    """Write an Alembic environment: r1 creates and fills items, r2 runs SECOND."""
    versions = root / "versions"
    versions.mkdir(parents=True)
    (root / "env.py").write_text(ENV)
    for rev, down, body in (("r1", None, TABLE), ("r2", "r1", second)):
        (versions / f"{rev}.py").write_text(
            "import sqlalchemy as sa\nfrom alembic import op\n\n"
            f"revision = {rev!r}\ndown_revision = {down!r}\n"
            "branch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade() -> None:\n{textwrap.indent(body.strip(), '    ')}\n"
        )
    config = Config()
    config.set_main_option("script_location", str(root))
    return config


def migrate(postgres: PostgresServer, config: Config, database: str) -> sa.Engine:
    """Create DATABASE and upgrade it to head with CONFIG; return its engine."""
    postgres.execute(f'CREATE DATABASE "{database}"')
    engine = sa.create_engine(postgres.url(database).replace("postgresql:", "postgresql+psycopg:"))
    config.attributes["connection"] = engine.connect()
    command.upgrade(config, "head")
    return engine


def test_the_recipe_builds_a_valid_index_and_passes_the_check(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    config = revisions(tmp_path, RECIPE)
    assert check_script(tmp_path / "versions" / "r2.py") == []
    engine = migrate(postgres, config, "recipe")
    with engine.connect() as connection:
        valid = connection.scalar(
            sa.text("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_items_title'::regclass")
        )
        head = connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
    engine.dispose()
    assert valid is True
    assert head == "r2"


def test_concurrently_inside_the_transaction_fails_and_is_refused(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    config = revisions(tmp_path, IN_TRANSACTION)
    (finding,) = check_script(tmp_path / "versions" / "r2.py")
    assert "autocommit_block" in finding.reason
    with pytest.raises(sa.exc.InternalError, match="cannot run inside a transaction block"):
        migrate(postgres, config, "in_transaction")
