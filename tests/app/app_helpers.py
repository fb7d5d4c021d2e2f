"""Helpers shared by the app's tests (a module name no other test folder uses)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token

from app.extensions import db
from app.models import Item
from app.settings import AppEnv, DatabaseSettings, RedisSettings, Settings


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


def add_items(app: Flask, owner_id: int, titles: list[str]) -> list[int]:
    """Insert items directly and return their ids."""
    with app.app_context():
        items = [Item(owner_id=owner_id, title=title, body=f"body of {title}") for title in titles]
        db.session.add_all(items)
        db.session.commit()
        return [item.id for item in items]


def sign_in(app: Flask, client: FlaskClient, user_id: int) -> None:
    """Send USER_ID's access token (Authorization: Bearer) with every request of CLIENT."""
    with app.test_request_context():
        token = create_access_token(identity=str(user_id))
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
