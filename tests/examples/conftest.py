"""Fixtures of the example service's suite: its venv, PostgreSQL, migrated database, gunicorn."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.examples.todo_service import (
    CONTRACT,
    PORTS,
    TodoServer,
    build_venv,
    in_venv,
    run_or_fail,
    service_env,
)
from tests.support.postgres import (
    PostgresServer,
    PostgresTemplate,
    serving_postgres,
    serving_template,
)


@pytest.fixture(scope="session")
def todo_venv() -> Iterator[Path]:
    """The example's virtualenv, built once from examples/todo/uv.lock."""
    root = Path(tempfile.mkdtemp(prefix="todo-venv-"))
    yield build_venv(root / "venv")
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def todo_pg_template() -> Iterator[PostgresTemplate]:
    """One initdb'ed data directory for the example's servers."""
    yield from serving_template()


@pytest.fixture(scope="session")
def todo_pg(todo_pg_template: PostgresTemplate) -> Iterator[PostgresServer]:
    """The PostgreSQL the example's suite shares."""
    yield from serving_postgres(todo_pg_template, PORTS)


@pytest.fixture(scope="session")
def todo_database(todo_pg: PostgresServer, todo_venv: Path) -> str:
    """A database migrated to head by the contract's command (alembic -c todo/alembic.ini)."""
    assert CONTRACT.migrate is not None
    todo_pg.execute('CREATE DATABASE "todo"')
    url = todo_pg.url("todo")
    run_or_fail(
        in_venv(todo_venv, CONTRACT.migrate.upgrade()), service_env(todo_venv, DATABASE_URL=url)
    )
    return url


@pytest.fixture(scope="session")
def todo_server(
    todo_venv: Path, todo_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TodoServer]:
    """todo-api under gunicorn on the migrated database, for the whole session."""
    server = TodoServer(todo_venv, todo_database, tmp_path_factory.mktemp("todo") / "gunicorn.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()
