"""JWTs for the API (flask-jwt-extended): issue, refresh, revoke, and JSON errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, Response, current_app, make_response
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt

from app.auth.revocation import expiry_of, is_revoked, revoke
from app.errors import error_response
from app.extensions import jwt
from app.models import User
from app.security.keys import JWT, key_id, keys_for
from app.services.users import load_active_user
from app.settings import Settings

BEARER = 'Bearer realm="api"'


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


def issue_access_token(user: User) -> dict[str, Any]:
    """Return a new access token for USER (the refresh flow)."""
    settings: Settings = current_app.config["SETTINGS"]
    # The role claim is informative; authorization always reads the user's current role.
    access = create_access_token(identity=str(user.id), additional_claims={"role": user.role})
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": settings.auth.access_token_minutes * 60,
    }


def issue_tokens(user: User) -> dict[str, Any]:
    """Return a fresh access and refresh token pair for USER."""
    return {**issue_access_token(user), "refresh_token": create_refresh_token(str(user.id))}


def revoke_current_token() -> None:
    """Revoke the token presented with this request."""
    payload = get_jwt()
    subject = payload.get("sub")
    user_id = int(subject) if isinstance(subject, str) and subject.isdigit() else None
    revoke(payload["jti"], payload["type"], user_id, expiry_of(payload))


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
        return is_revoked(payload["jti"])

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
