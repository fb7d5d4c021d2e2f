"""Item use cases: list, read, create, change, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, UnaryExpression, func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Item, User
from app.services.errors import ConflictError, InvalidInputError, NotFoundError

MAX_ID = 2**31 - 1
MAX_OFFSET = 10**9  # beyond any real table; keeps OFFSET within a bigint
_SORTS: dict[str, tuple[UnaryExpression[Any], ...]] = {
    "created_at": (Item.created_at.asc(), Item.id.asc()),
    "-created_at": (Item.created_at.desc(), Item.id.desc()),
    "title": (Item.title.asc(), Item.id.asc()),
    "-title": (Item.title.desc(), Item.id.desc()),
    "id": (Item.id.asc(),),
    "-id": (Item.id.desc(),),
}


def _filters(
    owner_id: int | None = None,
    q: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> list[ColumnElement[bool]]:
    """Translate query arguments into SQL conditions."""
    conditions: list[ColumnElement[bool]] = []
    if owner_id is not None:
        conditions.append(Item.owner_id == owner_id)
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(func.lower(Item.title).like(f"%{escaped.lower()}%", escape="\\"))
    if created_after is not None:
        conditions.append(Item.created_at >= created_after)
    if created_before is not None:
        conditions.append(Item.created_at < created_before)
    return conditions


def list_items(
    page: int, page_size: int, sort: str = "-created_at", **filters: Any
) -> tuple[list[Item], int]:
    """Return one page of items matching FILTERS, and how many match in all."""
    conditions = _filters(**filters)
    total = db.session.scalar(select(func.count(Item.id)).where(*conditions)) or 0
    offset = (page - 1) * page_size
    if offset >= min(total, MAX_OFFSET):
        return [], total
    rows = db.session.scalars(
        select(Item).where(*conditions).order_by(*_SORTS[sort]).limit(page_size).offset(offset)
    )
    return list(rows), total


def recent_items(limit: int = 10) -> list[Item]:
    """Return the newest items for the home page."""
    return list(db.session.scalars(select(Item).order_by(*_SORTS["-created_at"]).limit(limit)))


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
