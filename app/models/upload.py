"""Uploads: files users put in the bucket, tracked from signed URL to processed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin

# pending: URL issued; processing: claimed by /complete, the job is queued; processed / rejected:
# the job decided; failed: the job gave up, or was lost (the reaper): /complete may queue it again.
# Every move is one conditional UPDATE from the expected status (services/uploads.transition).
STATUSES = ("pending", "processing", "processed", "rejected", "failed")


class Upload(TimestampMixin, Base):
    """One uploaded object: server-generated key, sanitised client name, checked metadata."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    key: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    # "metadata" is reserved on declarative classes, hence the attribute name.
    details: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, nullable=False, default=dict)
    # The storage version the job verified: downloads serve it, whatever was uploaded since.
    object_version: Mapped[str | None] = mapped_column(String(1024), nullable=True)

    def __repr__(self) -> str:
        return f"<Upload {self.id} {self.key} {self.status}>"
