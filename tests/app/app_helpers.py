"""Helpers shared by the app's tests (a module name no other test folder uses)."""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import Iterator
from typing import Any

import redis
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token
from sqlalchemy import text

from app.auth.tokens import issue_access_token
from app.extensions import db
from app.models import Item, User
from app.settings import AppEnv, DatabaseSettings, RedisSettings, Settings
from tests.support.redis_server import RedisServer, serving_redis
from tests.support.servers import free_port

# The app suite's ports: its PostgreSQL and shared Redis; servers tests stop, S3, SMTP and
# metrics listeners; gunicorn masters.
APP_PORTS = (21000, 21999)
SERVICE_PORTS = (25500, 25999)
WEB_PORTS = (25000, 25499)


def app_port() -> int:
    """Return a free port of APP_PORTS."""
    return free_port(APP_PORTS)


def service_port(span: int = 1) -> int:
    """Return the first of SPAN free ports of SERVICE_PORTS."""
    return free_port(SERVICE_PORTS, span)


def own_redis() -> Iterator[RedisServer]:
    """Yield a private Redis for tests that stop it (use with `yield from` in a fixture)."""
    yield from serving_redis(SERVICE_PORTS)


def make_settings(database_url: str = "sqlite://", redis_url: str = "", **extra: Any) -> Settings:
    """Return testing settings pointing at DATABASE_URL (and Redis when given)."""
    db_extra = extra.pop("database", {})
    return Settings(
        app_env=AppEnv.TESTING,
        secret_key="test-secret-key-not-for-production",
        app_version="1.2.3-test",
        app_color="blue",
        database=DatabaseSettings(url=database_url, **db_extra),
        redis=RedisSettings(url=redis_url),
        **extra,
    )


def empty_database(app: Flask) -> None:
    """Empty every table of APP's PostgreSQL database and close its connections."""
    with app.app_context():
        db.session.remove()
        tables = ", ".join(f'"{name}"' for name in db.metadata.tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        db.engine.dispose()


def add_items(app: Flask, owner_id: int, titles: list[str]) -> list[int]:
    """Insert items directly and return their ids."""
    with app.app_context():
        items = [Item(owner_id=owner_id, title=title, body=f"body of {title}") for title in titles]
        db.session.add_all(items)
        db.session.commit()
        return [item.id for item in items]


def add_user(app: Flask, email: str = "uploader@example.com", admin: bool = False) -> int:
    """Create a user without a password directly and return its id."""
    with app.app_context():
        user = User(email=email, name=email.split("@")[0], is_admin=admin)
        db.session.add(user)
        db.session.commit()
        return user.id


def bearer_for(app: Flask, user_id: int) -> dict[str, str]:
    """Return an Authorization header with a real access token for USER_ID."""
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        token = issue_access_token(user)["access_token"]
    return {"Authorization": f"Bearer {token}"}


def sign_in(app: Flask, client: FlaskClient, user_id: int) -> None:
    """Send USER_ID's access token (Authorization: Bearer) with every request of CLIENT."""
    with app.test_request_context():
        token = create_access_token(identity=str(user_id))
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"


def png(width: int = 3, height: int = 2) -> bytes:
    """Return a tiny valid PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


class BrokenRedis:
    """Every Redis call fails as if the server went away."""

    def __getattr__(self, name: str) -> object:
        def fail(*args: object, **kwargs: object) -> object:
            raise redis.ConnectionError("gone")

        return fail


def timed_get(client: FlaskClient, path: str) -> tuple[int, dict[str, object], float]:
    """GET PATH; return its status, JSON body and how long it took."""
    started = time.monotonic()
    response = client.get(path)
    return response.status_code, response.get_json(), time.monotonic() - started
