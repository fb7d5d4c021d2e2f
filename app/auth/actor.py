"""Who is calling: the user from a JWT or a session, and view guards for the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request
from flask_jwt_extended import get_current_user, verify_jwt_in_request
from flask_login import current_user
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from app.models import User

F = TypeVar("F", bound=Callable[..., Any])
_UNSET = object()


def current_actor() -> User | None:
    """Return the user from the request's bearer token, else from its session, else None."""
    # A token that is present but expired, revoked or malformed is answered with a 401
    # (flask-jwt-extended raises), never silently treated as anonymous.
    cached = g.get("actor", _UNSET)
    if cached is not _UNSET:
        return cast("User | None", cached)
    actor: User | None = None
    if "Authorization" in request.headers:
        verify_jwt_in_request()
        actor = get_current_user()
    elif current_user.is_authenticated:
        actor = current_user._get_current_object()
    g.actor = actor
    return actor


def _challenge() -> Unauthorized:
    """Return a 401 that tells API clients to send a bearer token."""
    return Unauthorized(
        "Authentication required: send a bearer token or sign in.",
        www_authenticate=WWWAuthenticate("bearer", {"realm": "api"}),
    )


def login_required_api(view: F) -> F:
    """Refuse anonymous callers with 401."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_actor() is None:
            raise _challenge()
        return view(*args, **kwargs)

    return cast(F, wrapper)


def role_required(role: str) -> Callable[[F], F]:
    """Refuse anonymous callers with 401 and callers without ROLE with 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = current_actor()
            if actor is None:
                raise _challenge()
            if actor.role != role:
                raise Forbidden(f"This needs the {role!r} role.")
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator


def can_edit(actor: User | None, owner_id: int) -> bool:
    """Tell whether ACTOR may change or delete a record owned by OWNER_ID."""
    return actor is not None and (actor.is_admin or actor.id == owner_id)


def require_owner_or_admin(owner_id: int) -> User:
    """Return the actor if it owns OWNER_ID's record or is an admin; 401/403 otherwise."""
    actor = current_actor()
    if actor is None:
        raise _challenge()
    if not can_edit(actor, owner_id):
        raise Forbidden("Only the owner or an admin may change this.")
    return actor
