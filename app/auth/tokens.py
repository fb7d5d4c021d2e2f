"""JWTs for the API (flask-jwt-extended): issue, rotate, revoke, and JSON errors.

Every token carries its user's auth epoch (a token from an older epoch is refused: password
changes, promotions and "sign out everywhere" bump it) and the id of its sign-in, its family:
/token starts a family, /refresh spends the refresh token presented and issues a new pair in
the same family. A spent refresh token presented again was copied: the whole family ends.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import Flask, Response, current_app, make_response
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt

from app.auth.revocation import (
    SPENT,
    expiry_of,
    family_jti,
    is_revoked,
    revocation_of,
    revoke,
    revoke_family,
    spend,
)
from app.errors import error_response
from app.extensions import jwt
from app.models import User
from app.security.keys import JWT, key_id, keys_for
from app.services.errors import ServiceError
from app.services.users import load_active_user
from app.settings import Settings

BEARER = 'Bearer realm="api"'


class TokenRevokedError(ServiceError):
    """The token was revoked (or spent by someone else a moment ago)."""

    status = 401
    code = "token_revoked"


def jwt_config(settings: Settings) -> dict[str, object]:
    """Return the JWT_* config keys for SETTINGS."""
    return {
        "JWT_SECRET_KEY": keys_for(settings, JWT).current,
        "JWT_ALGORITHM": "HS256",
        "JWT_TOKEN_LOCATION": ["headers"],
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=settings.auth.access_token_minutes),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(days=settings.auth.refresh_token_days),
        "JWT_ERROR_MESSAGE_KEY": "message",
    }


def issue_access_token(user: User, family: str | None = None) -> dict[str, Any]:
    """Return a new access token for USER, of sign-in FAMILY when given."""
    settings: Settings = current_app.config["SETTINGS"]
    # The role claim is informative; authorization always reads the user's current role.
    claims = {"role": user.role, "epoch": user.auth_epoch} | ({"fam": family} if family else {})
    access = create_access_token(identity=str(user.id), additional_claims=claims)
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": settings.auth.access_token_minutes * 60,
    }


def issue_tokens(user: User, family: str | None = None) -> dict[str, Any]:
    """Return an access and refresh token pair for USER: a new sign-in unless FAMILY is given."""
    family = family or uuid.uuid4().hex
    refresh = create_refresh_token(
        str(user.id), additional_claims={"epoch": user.auth_epoch, "fam": family}
    )
    return {**issue_access_token(user, family), "refresh_token": refresh}


def _user_id(payload: dict[str, Any]) -> int | None:
    subject = payload.get("sub")
    return int(subject) if isinstance(subject, str) and subject.isdigit() else None


def _family_expiry(payload: dict[str, Any]) -> Any:
    """Return when the last token a family may hold expires (a refresh token issued now)."""
    refresh: timedelta = current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    return expiry_of(payload) + refresh


def rotate_refresh_token(user: User) -> dict[str, Any]:
    """Spend the presented refresh token and return the next pair of its family."""
    payload = get_jwt()
    family = payload.get("fam")
    if not spend(payload["jti"], user.id, expiry_of(payload)):
        # Spent a moment ago by someone else holding the same token: end the sign-in.
        if family:
            revoke_family(family, user.id, _family_expiry(payload))
        raise TokenRevokedError("The token has been revoked; sign in again.")
    return issue_tokens(user, family if isinstance(family, str) else None)


def revoke_current_token() -> None:
    """Revoke the token presented with this request."""
    payload = get_jwt()
    revoke(payload["jti"], payload["type"], _user_id(payload), expiry_of(payload))


def token_refused(payload: dict[str, Any]) -> bool:
    """Tell whether a verified token is revoked: itself, its family, or by its user's epoch."""
    family = payload.get("fam")
    row = revocation_of(payload["jti"])
    if row is not None:
        if row.token_type == SPENT and isinstance(family, str):
            # A spent refresh token came back: it was copied. Nobody keeps this sign-in.
            revoke_family(family, row.user_id, _family_expiry(payload))
        return True
    if isinstance(family, str) and is_revoked(family_jti(family)):
        return True
    user = load_active_user(payload["sub"])
    return user is not None and payload.get("epoch", 0) != user.auth_epoch


def _unauthorized(message: str, code: str) -> Response:
    """Answer 401 in the API's error shape, with a Bearer challenge."""
    body, status, headers = error_response(401, message, code=code)
    headers["WWW-Authenticate"] = BEARER
    return make_response(body, status, headers)


def init_tokens(app: Flask, settings: Settings) -> None:
    """Bind flask-jwt-extended and route its failures to our JSON errors."""
    app.config.update(jwt_config(settings))
    jwt.init_app(app)
    keys = keys_for(settings, JWT)

    @jwt.additional_headers_loader
    def _kid(_identity: Any) -> dict[str, str]:
        return {"kid": key_id(keys.current)}

    @jwt.decode_key_loader
    def _decode_key(header: dict[str, Any], _payload: dict[str, Any]) -> str:
        # A token signed before a rotation names a fallback key; an unknown kid fails to verify.
        return keys.by_id(header.get("kid")) or keys.current

    @jwt.user_lookup_loader
    def _load_user(_header: dict[str, Any], payload: dict[str, Any]) -> User | None:
        return load_active_user(payload["sub"])

    @jwt.token_in_blocklist_loader
    def _is_revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        return token_refused(payload)

    @jwt.expired_token_loader
    def _expired(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return _unauthorized("The token has expired; refresh it or sign in again.", "token_expired")

    @jwt.revoked_token_loader
    def _revoked(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return _unauthorized("The token has been revoked; sign in again.", "token_revoked")

    @jwt.invalid_token_loader
    def _invalid(reason: str) -> Response:
        return _unauthorized(f"The token is invalid: {reason}.", "token_invalid")

    @jwt.unauthorized_loader
    def _missing(reason: str) -> Response:
        return _unauthorized(f"Authentication required: {reason}.", "unauthorized")

    @jwt.user_lookup_error_loader
    def _unknown_user(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return _unauthorized("The token's user no longer exists or is disabled.", "unauthorized")

    @jwt.needs_fresh_token_loader
    def _stale(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:  # pragma: no cover
        return _unauthorized("A fresh sign-in is required.", "fresh_token_required")
