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
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import RevokedToken
from app.models.base import utcnow

SPENT = "rotated"  # token_type of a refresh token used once by /refresh


def revoke(jti: str, token_type: str, user_id: int | None, expires: datetime) -> None:
    """Insert the jti (idempotent) and prune rows of tokens that have expired anyway."""
    db.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
    if db.session.get(RevokedToken, jti) is None:
        db.session.add(
            RevokedToken(jti=jti, token_type=token_type, user_id=user_id, expires_at=expires)
        )
    try:
        db.session.commit()
    except IntegrityError:  # revoked at the same moment by another request (a family, twice)
        db.session.rollback()


def is_revoked(jti: str) -> bool:
    """Tell whether JTI was revoked."""
    return revocation_of(jti) is not None


def revocation_of(jti: str) -> RevokedToken | None:
    """Return JTI's revocation row, if it was revoked (or spent)."""
    return db.session.get(RevokedToken, jti)


def spend(jti: str, user_id: int | None, expires: datetime) -> bool:
    """Mark refresh token JTI as used; False when it had been used (or revoked) already."""
    # The primary key decides between two concurrent refreshes with the same token.
    db.session.add(RevokedToken(jti=jti, token_type=SPENT, user_id=user_id, expires_at=expires))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def family_jti(family: str) -> str:
    """Return the revocation key of a sign-in's token family."""
    return f"family:{family}"


def revoke_family(family: str, user_id: int | None, expires: datetime) -> None:
    """Refuse every token of one sign-in from now on (until EXPIRES, the last one's expiry)."""
    revoke(family_jti(family), "family", user_id, expires)


def expiry_of(payload: dict[str, object]) -> datetime:
    """Return a decoded token's expiry as an aware datetime."""
    exp = payload.get("exp")
    if not isinstance(exp, int | float):
        return utcnow()
    return datetime.fromtimestamp(exp, UTC)
