"""User use cases: accounts for the CLI, registration, sign-in (with rehash), preferences."""

from __future__ import annotations

import logging

from email_validator import EmailNotValidError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import User, UserSession
from app.models.base import utcnow
from app.security.emails import normalized_email
from app.security.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_nothing,
    verify_password,
)
from app.services import outbox
from app.services.errors import ConflictError, InvalidInputError

log = logging.getLogger(__name__)
USER_REGISTERED = "user_registered"  # the outbox topic of a new account


def normalize_email(email: str) -> str:
    """Return the normalized address or raise InvalidInputError."""
    try:
        return normalized_email(email)
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
        db.session.flush()
    # Whoever registered this address first (it is not verified) must not keep a way in: the
    # password is replaced and every token and session of the account ends with the promotion.
    user.is_admin = True
    set_password(user, password)
    return user, True


def set_password(user: User, password: str) -> None:
    """Replace USER's password and end every session and token it had (one transaction)."""
    user.password_hash = hash_password(password)
    revoke_everything(user)


def revoke_everything(user: User) -> None:
    """Sign USER out everywhere: every JWT issued so far is refused, every session deleted."""
    # An UPDATE in SQL, not a read-modify-write: two revocations at once both count.
    user.auth_epoch = User.auth_epoch + 1
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.session.commit()
    db.session.refresh(user)


def ensure_user(email: str, name: str) -> User:
    """Return the user EMAIL, creating it when missing."""
    user = find_by_email(email)
    if user is None:
        user = User(email=email, name=name)
        db.session.add(user)
        db.session.flush()
    return user


def register_user(email: str, password: str, name: str = "") -> User:
    """Create a user with an argon2id hash; an existing email is a conflict."""
    address = normalize_email(email)
    problem = password_problem(password)
    if problem:
        raise InvalidInputError(
            "The request failed validation; see errors.",
            errors={"json": {"password": [problem]}},
        )
    if find_by_email(address) is not None:
        raise ConflictError("An account with this email address already exists.")
    user = User(email=address, name=(name.strip() or address.split("@")[0])[:120])
    user.password_hash = hash_password(password)
    db.session.add(user)
    try:
        db.session.flush()
        outbox.record(USER_REGISTERED, user_id=user.id)  # the welcome email, in this transaction
        db.session.commit()
    except IntegrityError:  # a concurrent registration won the race
        db.session.rollback()
        raise ConflictError("An account with this email address already exists.") from None
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the active user whose password matches, upgrading an outdated hash."""
    try:
        address = normalize_email(email)
    except InvalidInputError:
        address = ""
    user = find_by_email(address) if address else None
    if user is None or not user.password_hash:
        verify_nothing(password)  # a miss costs as much time as a wrong password
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        # Parameters were raised since this hash was made: store a fresh one now that
        # the plain password is at hand.
        user.password_hash = hash_password(password)
        log.info("password rehashed", extra={"user_id": user.id})
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def set_locale(user: User, locale: str | None) -> None:
    """Store the user's preferred language (None: follow the browser)."""
    user.locale = locale
    db.session.commit()


def load_active_user(user_id: int | str) -> User | None:
    """Return the active user with this id, or None."""
    try:
        key = int(user_id)
    except (TypeError, ValueError):
        return None
    user = db.session.get(User, key) if 0 < key < 2**31 else None
    return user if user is not None and user.is_active else None
