"""Idempotency keys: a write remembered, so the same write sent again is answered once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow
from app.models.types import UTCDateTime

KEY_MAX = 255


class IdempotencyRecord(Base):
    """One Idempotency-Key of one user: the request it named and, once done, its answer."""

    __tablename__ = "idempotency_keys"
    # A key is the client's, so it is unique per user: two users may pick the same one.
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    key: Mapped[str] = mapped_column(String(KEY_MAX), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)  # method, path, body
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: still running
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, index=True
    )

    def __repr__(self) -> str:
        return f"<IdempotencyRecord {self.user_id}:{self.key!r} {self.status}>"
