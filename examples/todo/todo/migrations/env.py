"""Alembic's environment for todo-api: the database is DATABASE_URL, nothing else."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool
from todo.settings import sqlalchemy_url

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)


def database_url() -> str:
    """Return DATABASE_URL for SQLAlchemy's psycopg driver; without it nothing can run."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        raise SystemExit("error: DATABASE_URL is not set: it names the database to migrate")
    return sqlalchemy_url(url)


def run_offline() -> None:
    """Print the SQL instead of running it (`alembic upgrade head --sql`)."""
    context.configure(url=database_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the revisions over one connection, in one transaction."""
    # NullPool: a one-shot command keeps no connection behind.
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
