"""Fixtures for the app's tests: SQLite apps, and real PostgreSQL and Redis servers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from app_helpers import make_settings, sign_in
from app_servers import PostgresServer, PostgresTemplate, RedisServer, ServerError
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.models import User


@pytest.fixture
def app() -> Iterator[Flask]:
    """An app on a private in-memory SQLite database with the schema created."""
    application = create_app(make_settings())
    with application.app_context():
        db.create_all()
    yield application
    with application.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the SQLite app."""
    return app.test_client()


@pytest.fixture
def owner(app: Flask, client: FlaskClient) -> int:
    """Create a user who can own items, sign `client` in as it, and return its id."""
    with app.app_context():
        user = User(email="owner@example.com", name="Owner")
        db.session.add(user)
        db.session.commit()
        user_id = user.id
    sign_in(app, client, user_id)  # item writes need an authenticated owner (issue 3)
    return user_id


def _fail(message: str) -> None:
    # A server that cannot start is a failure, never a skip (CI=true or not).
    pytest.fail(f"test server could not start: {message}", pytrace=False)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[PostgresTemplate]:
    """One initdb'ed data directory for the whole session."""
    try:
        template = PostgresTemplate()
    except ServerError as exc:
        _fail(str(exc))
    yield template
    template.cleanup()


@pytest.fixture(scope="session")
def pg_server(pg_template: PostgresTemplate) -> Iterator[PostgresServer]:
    """A PostgreSQL server shared by the session (each module gets its own database)."""
    server = pg_template.new_server()
    try:
        server.start()
    except ServerError as exc:
        _fail(str(exc))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis server shared by the session."""
    try:
        server = RedisServer()
        server.start()
    except ServerError as exc:
        _fail(str(exc))
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def pg_database(pg_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database for one test module; return its URL."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    pg_server.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.url(name)
    pg_server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def pg_migrated(pg_database: str) -> str:
    """The module's database migrated to head with `flask db upgrade`."""
    application = create_app(make_settings(pg_database))
    with application.app_context():
        upgrade()
        db.engine.dispose()
    return pg_database


@pytest.fixture
def pg_app(pg_migrated: str, redis_server: RedisServer) -> Iterator[Flask]:
    """An app on PostgreSQL and Redis; tables are emptied after each test."""
    application = create_app(make_settings(pg_migrated, redis_server.url))
    yield application
    with application.app_context():
        db.session.remove()
        tables = ", ".join(f'"{name}"' for name in db.metadata.tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        db.engine.dispose()
    redis_server_client = application.extensions["redis_client"].get()
    redis_server_client.flushdb()


@pytest.fixture
def pg_client(pg_app: Flask) -> FlaskClient:
    """A test client of the PostgreSQL app."""
    return pg_app.test_client()
