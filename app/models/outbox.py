"""The outbox: jobs recorded in the transaction of the change that calls for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow
from app.models.types import UTCDateTime


class OutboxMessage(Base):
    """One event to hand to the job queue: written with the change, relayed when Redis answers."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), nullable=False)  # e.g. user_registered
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    # Set when put on the queue (again after REDELIVER_AFTER if never delivered), and when the
    # job has done its work: a message is delivered once even if queued twice.
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.topic}>"
