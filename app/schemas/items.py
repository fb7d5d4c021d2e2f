"""Schemas of the items resource."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from app.models.item import BODY_MAX, TITLE_MAX
from app.schemas.fields import Text, Timestamp
from app.services.item_listing import ItemSummary

MAX_ID = 2**31 - 1  # PostgreSQL integer; larger ids can never exist
SORT_CHOICES = ("created_at", "-created_at", "title", "-title", "id", "-id")


def _strip_title(data: Any) -> Any:
    """Trim surrounding whitespace from a string title."""
    if isinstance(data, dict) and isinstance(data.get("title"), str):
        return {**data, "title": data["title"].strip()}
    return data


class OwnerSchema(Schema):
    """The public view of an item's owner (never the email address)."""

    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)


class ItemSchema(Schema):
    """An item as the API returns it."""

    id = fields.Int(dump_only=True)
    owner_id = fields.Int(dump_only=True)
    owner = fields.Nested(OwnerSchema, dump_only=True)
    title = fields.Str(dump_only=True)
    body = fields.Str(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


def item_json(item: ItemSummary) -> dict[str, Any]:
    """Return what ItemSchema dumps for ITEM, without marshmallow's cost per field (lists)."""
    return {
        "id": item.id,
        "owner_id": item.owner_id,
        "owner": {"id": item.owner_id, "name": item.owner_name},
        "title": item.title,
        "body": item.body,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
    }


class ItemCreateSchema(Schema):
    """Fields accepted when creating an item."""

    # Optional since auth: the owner is the caller; only admins may name someone else.
    owner_id = fields.Int(strict=True, validate=validate.Range(1, MAX_ID))
    title = Text(required=True, validate=validate.Length(1, TITLE_MAX))
    body = Text(load_default="", validate=validate.Length(max=BODY_MAX))

    @pre_load
    def strip_title(self, data: Any, **_: Any) -> Any:
        """Trim the title before validating its length."""
        return _strip_title(data)


class ItemUpdateSchema(Schema):
    """Fields accepted when changing an item; at least one is required."""

    title = Text(validate=validate.Length(1, TITLE_MAX))
    body = Text(validate=validate.Length(max=BODY_MAX))

    @pre_load
    def strip_title(self, data: Any, **_: Any) -> Any:
        """Trim the title before validating its length."""
        return _strip_title(data)

    @validates_schema
    def require_a_field(self, data: dict[str, Any], **_: Any) -> None:
        """Refuse an empty change."""
        if not data:
            raise ValidationError("Give at least one of: title, body.")


class ItemQuerySchema(Schema):
    """Filters and order of the item listing."""

    owner_id = fields.Int(validate=validate.Range(1, MAX_ID))
    q = Text(validate=validate.Length(1, 100), metadata={"description": "Title contains"})
    created_after = Timestamp()
    created_before = Timestamp()
    sort = fields.Str(load_default="-created_at", validate=validate.OneOf(SORT_CHOICES))
