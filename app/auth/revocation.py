"""Where revoked JWTs are remembered: rows of revoked_tokens in the database.

The database is shared by every gunicorn worker and both colours, survives restarts, and is
the one dependency the app cannot serve without anyway: keeping revocations there means a
Redis outage never takes authenticated requests down with it. A row lives as long as the
token it revokes would have; afterwards the token's own expiry refuses it. When the database
cannot be reached, tokens are refused (503): a revoked token must never be accepted again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete

from app.extensions import db
from app.models import RevokedToken
from app.models.base import utcnow


def revoke(jti: str, token_type: str, user_id: int | None, expires: datetime) -> None:
    """Insert the jti (idempotent) and prune rows of tokens that have expired anyway."""
    db.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
    if db.session.get(RevokedToken, jti) is None:
        db.session.add(
            RevokedToken(jti=jti, token_type=token_type, user_id=user_id, expires_at=expires)
        )
    db.session.commit()


def is_revoked(jti: str) -> bool:
    """Tell whether JTI was revoked."""
    return db.session.get(RevokedToken, jti) is not None


def expiry_of(payload: dict[str, object]) -> datetime:
    """Return a decoded token's expiry as an aware datetime."""
    exp = payload.get("exp")
    if not isinstance(exp, int | float):
        return utcnow()
    return datetime.fromtimestamp(exp, UTC)
