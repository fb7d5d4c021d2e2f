"""Fixtures for the app's tests: SQLite apps, and real PostgreSQL and Redis servers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from app_helpers import APP_PORTS, SERVICE_PORTS, empty_database, make_settings, sign_in
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import User
from tests.support.postgres import (
    PostgresServer,
    PostgresTemplate,
    serving_postgres,
    serving_template,
)
from tests.support.redis_server import RedisServer, serving_redis
from tests.support.seaweed import SeaweedServer
from tests.support.servers import fail


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


def _signed_in_owner(app: Flask, client: FlaskClient, email: str, name: str) -> int:
    """Create a user who can own items, sign CLIENT in as it, and return its id."""
    with app.app_context():
        user = User(email=email, name=name)
        db.session.add(user)
        db.session.commit()
        user_id = user.id
    sign_in(app, client, user_id)  # item writes need an authenticated owner
    return user_id


@pytest.fixture
def owner(app: Flask, client: FlaskClient) -> int:
    """Create a user who can own items, sign `client` in as it, and return its id."""
    return _signed_in_owner(app, client, "owner@example.com", "Owner")


@pytest.fixture(scope="session")
def pg_template() -> Iterator[PostgresTemplate]:
    """One initdb'ed data directory for the whole session."""
    yield from serving_template()


@pytest.fixture(scope="session")
def pg_server(pg_template: PostgresTemplate) -> Iterator[PostgresServer]:
    """A PostgreSQL server shared by the session (each module gets its own database)."""
    yield from serving_postgres(pg_template, APP_PORTS)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis server shared by the session."""
    yield from serving_redis(APP_PORTS)


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A private Redis server this test may stop and restart."""
    yield from serving_redis(APP_PORTS)


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
    empty_database(application)
    redis_server_client = application.extensions["redis_client"].get()
    redis_server_client.flushdb()


@pytest.fixture
def pg_client(pg_app: Flask) -> FlaskClient:
    """A test client of the PostgreSQL app."""
    return pg_app.test_client()


@pytest.fixture
def pg_owner(pg_app: Flask, pg_client: FlaskClient) -> int:
    """Create an owner on PostgreSQL, sign `pg_client` in as it, and return its id."""
    return _signed_in_owner(pg_app, pg_client, "pg-owner@example.com", "PG owner")


@pytest.fixture
def redis_app(redis_server: RedisServer) -> Iterator[Flask]:
    """An app with the session's Redis (cache, jobs), on a file-less SQLite database."""
    application = create_app(make_settings("sqlite://", redis_server.url))
    with application.app_context():
        db.create_all()
    yield application
    application.extensions["redis_client"].get().flushdb()
    with application.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(scope="module")
def seaweed() -> Iterator[SeaweedServer]:
    """One SeaweedFS S3 server (SigV4 enforced) per module: it takes a few seconds to start."""
    server = SeaweedServer(SERVICE_PORTS)
    try:
        server.start()
    except Exception as exc:
        server.stop()
        fail(f"seaweedfs: {exc}")
    yield server
    server.stop()
