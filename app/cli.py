"""Operational commands: `flask create-admin EMAIL`, `flask seed`, `flask db-grant-app-role`,
`flask uploads-reap`, `flask outbox-relay` (the worker runs both between jobs; for a CronJob where
none runs).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
import psycopg
from flask import Flask
from flask.cli import with_appcontext
from psycopg import sql
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.jobs.periodic import reap_stuck_uploads, relay_outbox
from app.security.passwords import password_problem
from app.services import seed as seed_service
from app.services import users
from app.services.errors import ServiceError

PASSWORD_ENV = "ADMIN_PASSWORD"  # noqa: S105  (the variable name, not a password)
MAX_SEED_ITEMS = 1000
APP_ROLE_PASSWORD_ENV = "DATABASE_APP_PASSWORD"  # noqa: S105  (the variable name)
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# Role attributes the application role must never hold.
FORBIDDEN_ATTRIBUTES = (
    "rolsuper",
    "rolcreatedb",
    "rolcreaterole",
    "rolreplication",
    "rolbypassrls",
)


def one_line_errors(command: Callable[..., None]) -> Callable[..., None]:
    """Turn expected failures into one `Error: ...` line and a non-zero exit."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None
        except SQLAlchemyError as exc:
            db.session.rollback()
            first = str(exc.orig if hasattr(exc, "orig") else exc).strip().splitlines()
            reason = first[0] if first else type(exc).__name__
            raise click.ClickException(f"database error: {reason}") from None

    return wrapper


@click.command("create-admin")
@click.argument("email")
@with_appcontext
@one_line_errors
def create_admin(email: str) -> None:
    """Create (or promote) the admin EMAIL; the password comes from $ADMIN_PASSWORD or a prompt."""
    address = users.normalize_email(email)
    existing = users.find_by_email(address)
    if existing is not None and existing.is_admin:
        click.echo(f"admin {address} already exists; nothing changed")
        return
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    users.ensure_admin(address, password)
    click.echo(f"admin {address} {'promoted' if existing else 'created'}")


@click.command("seed")
@click.option("--items", "count", default="20", help=f"Demo items to ensure (0-{MAX_SEED_ITEMS}).")
@with_appcontext
@one_line_errors
def seed(count: str) -> None:
    """Ensure a demo user and COUNT demo items exist (safe to run again)."""
    if not count.isdigit() or int(count) > MAX_SEED_ITEMS:
        raise click.ClickException(f"--items must be a whole number from 0 to {MAX_SEED_ITEMS}")
    created = seed_service.seed_demo_data(int(count))
    click.echo(f"seeded: {created} new item(s), {int(count) - created} already present")


def _grant_statements(role: str, password: str, schema: str, database: str) -> list[sql.Composed]:
    """Return the statements that give ROLE data access (rows only) to SCHEMA, idempotently."""
    who, where = sql.Identifier(role), sql.Identifier(schema)
    rows = sql.SQL("SELECT, INSERT, UPDATE, DELETE")
    return [
        # Attributes that a non-superuser owner (RDS's master user) may set; the rest
        # (SUPERUSER, REPLICATION, BYPASSRLS) are checked afterwards instead.
        sql.SQL("ALTER ROLE {} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD {}").format(
            who, sql.Literal(password)
        ),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), who),
        # PostgreSQL < 15 lets everyone create in the public schema; nobody but the owner should.
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(where),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(where, who),
        sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA {} TO {}").format(rows, where, who),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(where, who),
        # Tables and sequences the migrations create later, as this (owner) role, too.
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT {} ON TABLES TO {}").format(
            where, rows, who
        ),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}"
        ).format(where, who),
    ]


def _ensure_app_role(raw: psycopg.Connection[Any], role: str, password: str) -> tuple[bool, str]:
    """Create or update ROLE in the current transaction; return (created, schema)."""
    with raw.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema(), current_database()")
        owner, schema, database = cursor.fetchone() or ("", "", "")
        if role == owner:
            raise click.ClickException(f"{role} is the owner this runs as, not an app role")
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
        created = cursor.fetchone() is None
        if created:
            cursor.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        for statement in _grant_statements(role, password, schema, database):
            cursor.execute(statement)
        attributes = sql.SQL(", ").join(map(sql.Identifier, FORBIDDEN_ATTRIBUTES))
        cursor.execute(
            sql.SQL("SELECT {} FROM pg_roles WHERE rolname = %s").format(attributes), (role,)
        )
        flags = cursor.fetchone() or ()
        held = [name for name, on in zip(FORBIDDEN_ATTRIBUTES, flags, strict=True) if on]
        if held:
            # Rolled back by the caller: nothing is granted to such a role.
            raise click.ClickException(f"role {role} holds {', '.join(held)}; remove it first")
    return created, schema


@click.command("db-grant-app-role")
@click.option(
    "--role",
    envvar="DATABASE_APP_USER",
    required=True,
    help="The application's login role (default: $DATABASE_APP_USER).",
)
@with_appcontext
@one_line_errors
def grant_app_role(role: str) -> None:
    """Ensure the application role exists with row access only (run as the schema owner).

    Run by the migration Job before `flask db upgrade`, with the owner's DATABASE_URL: creates
    ROLE (password from $DATABASE_APP_PASSWORD) when missing, resets its password and
    attributes, and grants it SELECT/INSERT/UPDATE/DELETE on the tables and USAGE/SELECT on the
    sequences of the current schema, now and (default privileges) for what later migrations
    create. The web and worker pods connect as ROLE: they can read and write rows but not
    create, alter, drop or truncate tables. Safe to run again.
    """
    password = os.environ.get(APP_ROLE_PASSWORD_ENV, "")
    if not ROLE_NAME.fullmatch(role):
        raise click.ClickException(f"--role must be a lower-case SQL name, not {role!r}")
    if len(password) < 16:
        raise click.ClickException(f"{APP_ROLE_PASSWORD_ENV} must hold at least 16 characters")
    if db.engine.dialect.name != "postgresql":
        raise click.ClickException("db-grant-app-role needs PostgreSQL (DATABASE_URL)")
    with db.engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        try:
            created, schema = _ensure_app_role(raw, role, password)
            raw.commit()  # the pool rolls back on return: commit here, or nothing sticks
        except psycopg.Error as exc:
            raw.rollback()
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise click.ClickException(f"database error: {reason}") from None
        except click.ClickException:
            raw.rollback()
            raise
    click.echo(f"app role {role} {'created' if created else 'updated'}: rows of schema {schema}")


@click.command("uploads-reap")
@with_appcontext
@one_line_errors
def uploads_reap() -> None:
    """Fail uploads stuck in processing longer than UPLOAD_STUCK_SECONDS (their job was lost)."""
    click.echo(f"{reap_stuck_uploads()} stuck upload(s) failed; they may be completed again")


@click.command("outbox-relay")
@with_appcontext
@one_line_errors
def outbox_relay() -> None:
    """Queue the outbox messages (e.g. welcome emails) a Redis outage held back."""
    click.echo(f"{relay_outbox()} outbox message(s) relayed")


def register_commands(app: Flask) -> None:
    """Attach the commands to `flask`."""
    app.cli.add_command(create_admin)
    app.cli.add_command(seed)
    app.cli.add_command(grant_app_role)
    app.cli.add_command(uploads_reap)
    app.cli.add_command(outbox_relay)
