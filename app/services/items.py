"""Item use cases: read, create, change, delete (lists: app/services/item_listing.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Item, User
from app.services.errors import ConflictError, InvalidInputError, NotFoundError

MAX_ID = 2**31 - 1


def get_item(item_id: int) -> Item:
    """Return the item or raise NotFoundError."""
    item = db.session.get(Item, item_id) if 1 <= item_id <= MAX_ID else None
    if item is None:
        raise NotFoundError(f"Item {item_id} does not exist.")
    return item


def create_item(owner_id: int, title: str, body: str = "") -> Item:
    """Create an item for an existing owner; a duplicate title is a conflict."""
    if db.session.get(User, owner_id) is None:
        raise InvalidInputError(
            "The request failed validation; see errors.",
            errors={"json": {"owner_id": [f"User {owner_id} does not exist."]}},
        )
    _refuse_duplicate_title(owner_id, title)
    item = Item(owner_id=owner_id, title=title, body=body)
    db.session.add(item)
    _commit()
    return item


def update_item(item_id: int, changes: dict[str, Any]) -> Item:
    """Apply CHANGES (title and/or body) to an item."""
    item = get_item(item_id)
    title = changes.get("title")
    if title is not None and title != item.title:
        _refuse_duplicate_title(item.owner_id, title)
    for field in ("title", "body"):
        if field in changes:
            setattr(item, field, changes[field])
    _commit()
    return item


def delete_item(item_id: int) -> None:
    """Delete an item."""
    db.session.delete(get_item(item_id))
    _commit()


def _refuse_duplicate_title(owner_id: int, title: str) -> None:
    """Raise ConflictError when the owner already has an item with this title."""
    exists = db.session.scalar(
        select(Item.id).where(Item.owner_id == owner_id, Item.title == title)
    )
    if exists is not None:
        raise ConflictError(f"Owner {owner_id} already has an item titled {title!r}.")


def _commit() -> None:
    """Commit, turning a lost race on a unique constraint into a conflict."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ConflictError("The item conflicts with another one; retry.") from None
