"""The item statistics aggregate (cached by the stats endpoint)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import Item, User

TOP_OWNERS = 10


def item_stats() -> dict[str, Any]:
    """Count items in all and per owner (the busiest TOP_OWNERS)."""
    total = db.session.scalar(select(func.count(Item.id))) or 0
    owners = db.session.scalar(select(func.count(func.distinct(Item.owner_id)))) or 0
    count = func.count(Item.id).label("items")
    rows = db.session.execute(
        select(User.id, User.name, count)
        .join(Item, Item.owner_id == User.id)
        .group_by(User.id, User.name)
        .order_by(count.desc(), User.id)
        .limit(TOP_OWNERS)
    )
    return {
        "items": total,
        "owners": owners,
        "top_owners": [{"owner_id": i, "name": n, "items": c} for i, n, c in rows],
        "generated_at": datetime.now(UTC).isoformat(),
    }
