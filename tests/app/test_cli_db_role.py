"""`flask db-grant-app-role` on a real PostgreSQL: the app's role reads and writes rows only.

Issue 13, item 15. As in the migration Job, a non-superuser owner (like RDS's master user, which
owns the database) runs the command and then the migrations; the app then connects as the
role the command made, which can use every table, including those created after the grant,
but cannot drop, alter, create or truncate tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from app_helpers import make_settings
from click.testing import Result
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from app import create_app
from app.extensions import db
from app.models import User
from tests.support.postgres import PostgresServer

PASSWORD = "app-role-password-0123456789"  # trust auth on the test server; length checked


@dataclass(frozen=True)
class Database:
    server: PostgresServer
    name: str
    owner: str
    role: str

    def url(self, user: str) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.server.port}/{self.name}"

    def query(
        self, sql: str, params: tuple[object, ...] = (), user: str = "postgres"
    ) -> list[tuple[object, ...]]:
        with psycopg.connect(self.url(user), autocommit=True) as conn:
            cursor = conn.execute(sql, params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []


def _grant(database: Database, role: str, password: str = PASSWORD) -> Result:
    app = create_app(make_settings(database.url(database.owner)))
    try:
        return app.test_cli_runner().invoke(
            args=["db-grant-app-role", "--role", role], env={"DATABASE_APP_PASSWORD": password}
        )
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def database(pg_server: PostgresServer) -> Iterator[Database]:
    """A database owned by a non-superuser owner, granted to a new app role, then migrated."""
    suffix = uuid.uuid4().hex[:8]
    owned = Database(pg_server, f"test_role_{suffix}", f"owner_{suffix}", f"app_{suffix}")
    pg_server.execute(f"CREATE ROLE {owned.owner} LOGIN CREATEDB CREATEROLE")
    pg_server.execute(f"CREATE DATABASE {owned.name} OWNER {owned.owner}")
    try:
        result = _grant(owned, owned.role)
        assert result.exit_code == 0, result.output
        assert f"app role {owned.role} created" in result.output
        # The migrations run after the grant, as the owner: their tables are new to the role.
        app = create_app(make_settings(owned.url(owned.owner)))
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield owned
    finally:
        pg_server.execute(f"DROP DATABASE IF EXISTS {owned.name} WITH (FORCE)")
        for role in (owned.role, f"{owned.role}_extra", owned.owner):
            pg_server.execute(f"DROP ROLE IF EXISTS {role}")


@pytest.fixture
def as_app(database: Database) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(database.url(database.role)) as conn:
        yield conn


def test_the_role_reads_and_writes_rows_of_tables_created_after_the_grant(
    database: Database, as_app: psycopg.Connection[tuple[object, ...]]
) -> None:
    user_id = as_app.execute(  # a serial id: the sequence is usable too
        "INSERT INTO users (email, name, is_admin, created_at, updated_at) "
        "VALUES ('row@example.com', 'Row', false, now(), now()) RETURNING id"
    ).fetchone()
    assert user_id is not None
    as_app.execute("UPDATE users SET name = 'Rowena' WHERE id = %s", user_id)
    assert as_app.execute("SELECT name FROM users WHERE id = %s", user_id).fetchone() == ("Rowena",)
    as_app.execute("DELETE FROM users WHERE id = %s", user_id)
    assert as_app.execute("SELECT version_num FROM alembic_version").fetchone()
    as_app.commit()


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE items",
        "ALTER TABLE items ADD COLUMN sneaky integer",
        "CREATE TABLE sneaky (id integer)",
        "TRUNCATE items",
        "CREATE INDEX sneaky ON items (title)",
    ],
)
def test_the_role_cannot_change_the_schema(
    as_app: psycopg.Connection[tuple[object, ...]], statement: str
) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_app.execute(statement)  # type: ignore[arg-type]


def test_the_role_holds_no_administrative_attribute(database: Database) -> None:
    ((flags),) = database.query(
        "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls "
        "FROM pg_roles WHERE rolname = %s",
        (database.role,),
    )
    assert flags == (True, False, False, False, False, False)
    memberships = database.query(
        "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s",
        (database.role,),
    )
    assert memberships == []
    # Its password was set (trust auth here does not check it; RDS does).
    assert database.query(
        "SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = %s", (database.role,)
    ) == [(True,)]


def test_the_app_runs_as_the_role(database: Database) -> None:
    app = create_app(make_settings(database.url(database.role)))
    with app.app_context():
        db.session.add(User(email="app@example.com", name="App"))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(User)) >= 1
        assert db.session.scalar(text("SELECT current_user")) == database.role
        db.session.execute(text("DELETE FROM users"))
        db.session.commit()
        db.engine.dispose()


def test_running_again_is_harmless_and_strips_added_attributes(database: Database) -> None:
    database.query(f"ALTER ROLE {database.role} CREATEDB")
    result = _grant(database, database.role)
    assert result.exit_code == 0, result.output
    assert f"app role {database.role} updated" in result.output
    assert database.query(
        "SELECT rolcreatedb FROM pg_roles WHERE rolname = %s", (database.role,)
    ) == [(False,)]


def test_a_role_with_attributes_the_owner_cannot_remove_is_refused(database: Database) -> None:
    extra = f"{database.role}_extra"
    database.query(f"CREATE ROLE {extra} LOGIN BYPASSRLS")
    result = _grant(database, extra)
    assert result.exit_code != 0
    assert "rolbypassrls" in result.output
    # Nothing was granted to it (the transaction was rolled back).
    granted = database.query(
        "SELECT has_table_privilege(%s, 'items', 'SELECT')", (extra,), user=database.owner
    )
    assert granted == [(False,)]


@pytest.mark.parametrize(
    ("role", "password", "message"),
    [
        ("App-Role", PASSWORD, "lower-case SQL name"),
        ("app_x", "short", "at least 16 characters"),
    ],
)
def test_bad_input_fails_in_one_line(
    database: Database, role: str, password: str, message: str
) -> None:
    result = _grant(database, role, password)
    assert result.exit_code != 0
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_owner_itself_is_refused(database: Database) -> None:
    result = _grant(database, database.owner)
    assert result.exit_code != 0
    assert "is the owner" in result.output
