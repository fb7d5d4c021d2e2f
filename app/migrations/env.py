"""Alembic environment run by Flask-Migrate inside the app's context."""

from __future__ import annotations

import logging
from typing import Any

from alembic import context
from flask import current_app

from app.database import migration_engine
from app.models.types import UTCDateTime

# No fileConfig(): the app has already set up JSON logging, and fileConfig would
# replace its handlers and silence every existing logger.
log = logging.getLogger("alembic.env")
config = context.config
migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write app column types as plain SQLAlchemy types, so revisions never import app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without connecting."""
    url = migrate_ext.db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations over a connection from the app's engine."""

    def skip_empty(context_: Any, revision: Any, directives: list[Any]) -> None:
        # `flask db migrate` with no model change writes no empty revision.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            log.info("No changes in schema detected.")

    conf_args = dict(migrate_ext.configure_args)
    conf_args.setdefault("process_revision_directives", skip_empty)
    conf_args.setdefault("render_item", render_item)
    # Not the app's 5 s statement timeout: DATABASE_MIGRATION_STATEMENT_TIMEOUT_MS and
    # DATABASE_MIGRATION_LOCK_TIMEOUT_MS, also inside autocommit_block() (session settings).
    engine = migration_engine(current_app.config["SETTINGS"], migrate_ext.db.engine)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        if engine is not migrate_ext.db.engine:
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
