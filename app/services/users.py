"""User use cases for the CLI (the auth issue adds sign-in)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from app.security.passwords import hash_password
from app.services.errors import InvalidInputError


def normalize_email(email: str) -> str:
    """Return the normalized address or raise InvalidInputError."""
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInputError(f"invalid email address {email!r}: {exc}") from None


def find_by_email(email: str) -> User | None:
    """Return the user with this (normalized) email, if any."""
    return db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def ensure_admin(email: str, password: str) -> tuple[User, bool]:
    """Create or promote the admin EMAIL; return it and whether anything changed."""
    user = find_by_email(email)
    if user is not None and user.is_admin:
        return user, False
    if user is None:
        user = User(email=email, name=email.split("@")[0])
        db.session.add(user)
    user.is_admin = True
    user.password_hash = hash_password(password)
    db.session.commit()
    return user, True


def ensure_user(email: str, name: str) -> User:
    """Return the user EMAIL, creating it when missing."""
    user = find_by_email(email)
    if user is None:
        user = User(email=email, name=name)
        db.session.add(user)
        db.session.flush()
    return user
