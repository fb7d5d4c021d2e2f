"""Demo data for local runs and load tests."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Item
from app.services.users import ensure_user

DEMO_EMAIL = "demo@example.com"
DEMO_NAME = "Demo user"


def seed_demo_data(count: int) -> int:
    """Ensure the demo user owns items "Demo item 1..COUNT"; return how many were created."""
    owner = ensure_user(DEMO_EMAIL, DEMO_NAME)
    wanted = {f"Demo item {n}" for n in range(1, count + 1)}
    present = set(
        db.session.scalars(
            select(Item.title).where(Item.owner_id == owner.id, Item.title.in_(wanted))
        )
    )
    missing = sorted(wanted - present, key=lambda title: int(title.rsplit(" ", 1)[1]))
    for title in missing:
        db.session.add(
            Item(owner_id=owner.id, title=title, body=f"{title}, created by `flask seed`.")
        )
    db.session.commit()
    return len(missing)
