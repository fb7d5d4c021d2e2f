"""Items: the domain resource the API serves."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin
from app.models.user import User

TITLE_MAX = 200
BODY_MAX = 10_000


class Item(TimestampMixin, Base):
    """A titled note owned by a user."""

    __tablename__ = "items"
    # One owner cannot hold two items with the same title (the API answers 409).
    __table_args__ = (UniqueConstraint("owner_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(String(TITLE_MAX), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")

    # One direction only (User has no `items`): users never load their items through the ORM,
    # and deleting a user leaves its items to the database's ON DELETE CASCADE.
    owner: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Item {self.id} {self.title!r}>"
