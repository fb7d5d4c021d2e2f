"""Fields that refuse values the databases cannot store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


class Text(fields.Str):
    """A string without NUL characters (PostgreSQL text cannot hold them)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        result: str = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in result:
            raise ValidationError("Must not contain NUL characters.")
        return result


class Timestamp(fields.AwareDateTime):
    """A timezone-aware timestamp within a range every backend can store."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_timezone=None, validate=validate.Range(EARLIEST, LATEST), **kwargs)
