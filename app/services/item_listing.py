"""Item lists (API, pages, home): one page of items and how many match, read through Core.

Lists read columns, not entities: building Item objects and their identity map took most
of the list's time (bench/README.md, pair (b)). Each combination of filters and order has
its statements built once, with bound parameters, so a request only binds values: SQLAlchemy
then finds the compiled SQL by the statement's memoized cache key instead of rebuilding it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, UnaryExpression, bindparam, func, select

from app.extensions import db
from app.models import Item, User

MAX_OFFSET = 10**9  # beyond any real table; keeps OFFSET within a bigint
ITEMS = Item.__table__.c
OWNERS = User.__table__.c
LISTED = select(
    ITEMS.id,
    ITEMS.owner_id,
    ITEMS.title,
    ITEMS.body,
    ITEMS.created_at,
    ITEMS.updated_at,
    OWNERS.name.label("owner_name"),
).join_from(Item.__table__, User.__table__, OWNERS.id == ITEMS.owner_id)
SORTS: dict[str, tuple[UnaryExpression[Any], ...]] = {
    "created_at": (ITEMS.created_at.asc(), ITEMS.id.asc()),
    "-created_at": (ITEMS.created_at.desc(), ITEMS.id.desc()),
    "title": (ITEMS.title.asc(), ITEMS.id.asc()),
    "-title": (ITEMS.title.desc(), ITEMS.id.desc()),
    "id": (ITEMS.id.asc(),),
    "-id": (ITEMS.id.desc(),),
}
# Filter name -> its condition; each binds the parameter of the same name.
CONDITIONS: dict[str, ColumnElement[bool]] = {
    "owner_id": ITEMS.owner_id == bindparam("owner_id"),
    "q": func.lower(ITEMS.title).like(bindparam("q"), escape="\\"),
    "created_after": ITEMS.created_at >= bindparam("created_after"),
    "created_before": ITEMS.created_at < bindparam("created_before"),
}


@dataclass(frozen=True, slots=True)
class ItemSummary:
    """An item as lists show it: its columns and its owner's name, read without the ORM."""

    id: int
    owner_id: int
    title: str
    body: str
    created_at: datetime
    updated_at: datetime
    owner_name: str


@functools.cache
def _statements(filters: tuple[str, ...], sort: str) -> tuple[Select[Any], Select[Any]]:
    """Return the count and the page statements for FILTERS (names, sorted) and SORT."""
    conditions = [CONDITIONS[name] for name in filters]
    count = select(func.count(ITEMS.id)).where(*conditions)
    page = (
        LISTED.where(*conditions)
        .order_by(*SORTS[sort])
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return count, page


def _like_pattern(text: str) -> str:
    """Return a LIKE pattern matching TEXT anywhere, case-insensitively, wildcards escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def list_items(
    page: int, page_size: int, sort: str = "-created_at", **filters: Any
) -> tuple[list[ItemSummary], int]:
    """Return one page of items matching FILTERS, and how many match in all."""
    values = {name: value for name, value in filters.items() if value is not None and value != ""}
    if "q" in values:
        values["q"] = _like_pattern(values["q"])
    count, rows = _statements(tuple(sorted(values)), sort)
    offset = (page - 1) * page_size
    # A connection of the engine's own, as a plain read needs: the ORM session's transaction
    # bookkeeping was a tenth of the list's time, for two SELECTs that change nothing.
    with db.engine.connect() as connection:
        total = connection.scalar(count, values) or 0
        if offset >= min(total, MAX_OFFSET):
            return [], total
        found = connection.execute(rows, {**values, "limit": page_size, "offset": offset}).all()
    return _summaries(found), total


def recent_items(limit: int = 10) -> list[ItemSummary]:
    """Return the newest items for the home page (one query: the page needs no count)."""
    _, rows = _statements((), "-created_at")
    with db.engine.connect() as connection:
        found = connection.execute(rows, {"limit": limit, "offset": 0}).all()
    return _summaries(found)


def _summaries(rows: Sequence[Any]) -> list[ItemSummary]:
    """Return ROWS (the LISTED columns, in order) as ItemSummary values."""
    return [ItemSummary(*row) for row in cast(Sequence[tuple[Any, ...]], rows)]
