"""app/models: timestamps in UTC whatever the backend, readable reprs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import Flask
from sqlalchemy import text

from app.extensions import db
from app.models import Item, User
from app.models.types import UTCDateTime


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


def test_postgres_timestamps_come_back_in_utc_without_conversion(pg_app: Flask) -> None:
    column = UTCDateTime()
    with pg_app.app_context():
        assert column.result_processor(db.engine.dialect, None) is None  # nothing per row
        assert db.session.scalar(text("SHOW TimeZone")) == "UTC"  # why none is needed
        paris = datetime(2026, 7, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
        owner = User(email="tz@example.com", name="TZ")
        db.session.add(owner)
        db.session.flush()
        db.session.add(Item(owner_id=owner.id, title="tz", created_at=paris))
        db.session.commit()
        db.session.expunge_all()
        stored = db.session.scalar(db.select(Item.created_at).where(Item.title == "tz"))
        db.session.remove()
    assert stored == paris
    assert stored.utcoffset() == timedelta(0)
    assert stored.isoformat() == "2026-07-01T12:00:00+00:00"
