"""Users: owners of items, and the admins created from the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin

if TYPE_CHECKING:
    from app.models.item import Item


class User(TimestampMixin, Base):
    """A person who owns items."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    # Set for people who can sign in; the auth issue builds on this column.
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    items: Mapped[list[Item]] = relationship(back_populates="owner", passive_deletes=True)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"
