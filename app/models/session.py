"""Signed-in browser sessions kept server-side (app/auth/sessions.py), so they can be ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow
from app.models.types import UTCDateTime


class UserSession(Base):
    """One signed-in browser: the cookie holds a random token, this row its SHA-256."""

    __tablename__ = "user_sessions"

    # The hash, not the token: a copy of this table signs nobody in.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)

    def __repr__(self) -> str:
        return f"<UserSession {self.id[:8]} user={self.user_id}>"
