"""Bump the items generation after any commit that wrote items or users."""

from __future__ import annotations

from typing import Any

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.cache import store
from app.cache.keys import ITEMS
from app.models import Item, User

WATCHED = (Item, User)
_FLAG = "kit_cache_dirty"


def _after_flush(session: Session, _: Any) -> None:
    """Remember that this transaction changed cached data."""
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, WATCHED) for obj in changed):
        session.info[_FLAG] = True


def _after_commit(session: Session) -> None:
    """Invalidate once the change is visible to other sessions."""
    if session.info.pop(_FLAG, False) and has_app_context():
        store.bump(ITEMS)


def _after_rollback(session: Session) -> None:
    """Forget changes that were rolled back."""
    session.info.pop(_FLAG, None)


def install() -> None:
    """Listen on every session (idempotent)."""
    for name, listener in (
        ("after_flush", _after_flush),
        ("after_commit", _after_commit),
        ("after_soft_rollback", _after_soft_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _after_soft_rollback(session: Session, previous: Any) -> None:
    """Forget changes when the outermost transaction rolls back."""
    if previous.parent is None:
        _after_rollback(session)
