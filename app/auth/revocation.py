"""Where revoked JWTs are remembered: Redis when configured, the database otherwise.

Either store is shared by every gunicorn worker and survives an app restart. An entry
lives exactly as long as the token it revokes would have: afterwards the token's own
expiry refuses it. When the store cannot be reached, tokens are refused (the Redis or
database error becomes a 503): a revoked token must never be accepted again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import delete

from app.extensions import db, redis_client
from app.models import RevokedToken
from app.models.base import utcnow

REDIS_PREFIX = "kit:revoked:"


class RevocationStore(Protocol):
    """Remember revoked token ids until their expiry."""

    def revoke(self, jti: str, token_type: str, user_id: int | None, expires: datetime) -> None:
        """Mark JTI revoked until EXPIRES."""

    def is_revoked(self, jti: str) -> bool:
        """Tell whether JTI was revoked."""


class RedisRevocationStore:
    """Revocations as Redis keys that expire with the token."""

    def revoke(self, jti: str, token_type: str, user_id: int | None, expires: datetime) -> None:
        """SET the jti with a TTL of the token's remaining lifetime."""
        ttl = max(1, int((expires - utcnow()).total_seconds()) + 1)
        redis_client.get().set(REDIS_PREFIX + jti, token_type, ex=ttl)

    def is_revoked(self, jti: str) -> bool:
        """Look the jti up."""
        return bool(redis_client.get().exists(REDIS_PREFIX + jti))


class DatabaseRevocationStore:
    """Revocations as rows of revoked_tokens, pruned as they expire."""

    def revoke(self, jti: str, token_type: str, user_id: int | None, expires: datetime) -> None:
        """Insert the jti (idempotent) and prune rows of tokens that have expired anyway."""
        db.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
        if db.session.get(RevokedToken, jti) is None:
            db.session.add(
                RevokedToken(jti=jti, token_type=token_type, user_id=user_id, expires_at=expires)
            )
        db.session.commit()

    def is_revoked(self, jti: str) -> bool:
        """Look the jti up."""
        return db.session.get(RevokedToken, jti) is not None


def revocation_store() -> RevocationStore:
    """Return the store for the configured services."""
    if redis_client.configured:
        return RedisRevocationStore()
    return DatabaseRevocationStore()


def expiry_of(payload: dict[str, object]) -> datetime:
    """Return a decoded token's expiry as an aware datetime."""
    exp = payload.get("exp")
    if not isinstance(exp, int | float):
        return utcnow()
    return datetime.fromtimestamp(exp, UTC)
