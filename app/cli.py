"""Operational commands: `flask create-admin EMAIL` and `flask seed`."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.security.passwords import password_problem
from app.services import seed as seed_service
from app.services import users
from app.services.errors import ServiceError

PASSWORD_ENV = "ADMIN_PASSWORD"  # noqa: S105  (the variable name, not a password)
MAX_SEED_ITEMS = 1000


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


def register_commands(app: Flask) -> None:
    """Attach the commands to `flask`."""
    app.cli.add_command(create_admin)
    app.cli.add_command(seed)
