"""Users: owners of items, and the admins created from the CLI."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String, text, true
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin
from app.models.types import UTCDateTime


class User(UserMixin, TimestampMixin, Base):  # type: ignore[misc]
    """A person who owns items."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    # Set for people who can sign in; None for accounts that only own data (demo, seed).
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Sign-in state and the preferred UI language (None: follow Accept-Language).
    is_active: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=true()
    )
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Bumped when a password changes, the account is promoted or its owner signs out everywhere:
    # every JWT carries the epoch it was issued in, and one from an older epoch is refused.
    auth_epoch: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )

    @property
    def role(self) -> str:
        """Return the user's role name: "admin" or "user"."""
        return "admin" if self.is_admin else "user"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"
