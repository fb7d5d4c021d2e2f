"""Small units: models, column types, error helpers, Redis client, service edge cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError

from app.errors import _first_message, _reason_code
from app.extensions import db
from app.models import Item, User
from app.models.types import UTCDateTime
from app.redis_client import RedisClient
from app.services import items as item_service
from app.services.errors import ConflictError
from app.services.users import ensure_admin


def test_utc_datetime_normalises_to_utc() -> None:
    column = UTCDateTime()
    plus_two = datetime(2024, 5, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    stored = column.process_bind_param(plus_two, None)  # type: ignore[arg-type]
    assert stored == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert stored.tzinfo is UTC  # type: ignore[union-attr]
    assert column.process_bind_param(None, None) is None  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(datetime(2024, 5, 1), None)  # type: ignore[arg-type]
    naive = column.process_result_value(datetime(2024, 5, 1, 10), None)  # type: ignore[arg-type]
    assert naive == stored
    assert column.process_result_value(plus_two, None) == stored  # type: ignore[arg-type]
    assert column.process_result_value(None, None) is None  # type: ignore[arg-type]


def test_model_reprs() -> None:
    assert repr(User(id=3, email="a@b.c")) == "<User 3 a@b.c>"
    assert repr(Item(id=4, title="T")) == "<Item 4 'T'>"


def test_reason_codes() -> None:
    assert _reason_code(418) == "i'm_a_teapot"
    assert _reason_code(599) == "error"
    assert _first_message({"json": {"title": ["Bad."]}}) == "Bad."
    assert _first_message({"json": {}}) is None


def test_redis_client_is_lazy_and_requires_a_url() -> None:
    client = RedisClient()
    assert not client.configured
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        client.get()


def test_lost_uniqueness_race_is_a_conflict(
    app: Flask, owner: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another worker inserted the same title between our check and our commit.
    monkeypatch.setattr(item_service, "_refuse_duplicate_title", lambda owner_id, title: None)
    with app.app_context():
        item_service.create_item(owner, "raced")
        with pytest.raises(ConflictError, match="retry"):
            item_service.create_item(owner, "raced")


def test_rollback_failure_after_an_error_is_tolerated(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    @app.get("/api/v1/conflict")
    def conflict() -> str:
        def broken_rollback() -> None:
            raise ConnectionError("gone")

        monkeypatch.setattr(db.session, "rollback", broken_rollback)
        raise IntegrityError("INSERT", {}, Exception("duplicate"))

    assert app.test_client().get("/api/v1/conflict").status_code == 409


def test_ensure_admin_reports_no_change_for_an_existing_admin(app: Flask) -> None:
    with app.app_context():
        user, changed = ensure_admin("boss@example.com", "a very long password")
        assert changed
        again, changed = ensure_admin("BOSS@example.com", "another long password")
        assert again.id == user.id
        assert not changed
