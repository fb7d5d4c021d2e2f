"""Revoked JWTs (app/auth/revocation.py), kept until the token would expire anyway."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow
from app.models.types import UTCDateTime


class RevokedToken(Base):
    """One revoked token, identified by its jti, kept until the token would expire anyway.

    token_type says why: "access" or "refresh" (revoked by its holder), "rotated" (a refresh
    token spent by /refresh; presenting it again ends its sign-in), "family" (jti
    "family:<id>": every token of one sign-in, after a spent refresh token came back).
    """

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_type: Mapped[str] = mapped_column(String(16), nullable=False)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<RevokedToken {self.jti} {self.token_type}>"
