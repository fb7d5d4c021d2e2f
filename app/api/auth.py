"""/api/v1/auth: register, exchange credentials for tokens, refresh, revoke, whoami."""

# flask-smorest ships no type hints; its decorators keep the signatures they wrap.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask_jwt_extended import get_current_user, jwt_required
from werkzeug.exceptions import Unauthorized

from app.api.blueprint import Blueprint
from app.api.content_type import require_json_body
from app.auth.actor import current_actor, login_required_api
from app.auth.tokens import BEARER, issue_tokens, revoke_current_token, rotate_refresh_token
from app.models import User
from app.schemas.auth import CredentialsSchema, RegisterSchema, TokenSchema, UserSchema
from app.security.limits import refresh_limits, register_limits, sign_in_limits
from app.services import users as service
from app.services.signals import user_registered

blp = Blueprint(
    "auth_api", __name__, description="Accounts and JWTs: register, token, refresh, revoke."
)
BEARER_AUTH: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def error(status: str) -> dict[str, str]:
    """Document an error response by its HTTP status name."""
    return {"response": status}


def json_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 415 before parsing unless the body is declared as JSON."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_json_body()
        return view(*args, **kwargs)

    return wrapper


@blp.route("/register", methods=["POST"])
@register_limits
@json_only
@blp.arguments(RegisterSchema)
@blp.response(201, UserSchema)
@blp.alt_response(409, **error("CONFLICT"))
@blp.alt_response(422, **error("UNPROCESSABLE_ENTITY"))
@blp.alt_response(429, **error("TOO_MANY_REQUESTS"))
@blp.alt_response(503, **error("SERVICE_UNAVAILABLE"))
def register(data: dict[str, Any]) -> User:
    """Create an account (role "user")."""
    user = service.register_user(data["email"], data["password"], data["name"])
    user_registered.send(user)
    return user


@blp.route("/token", methods=["POST"])
@sign_in_limits
@json_only
@blp.arguments(CredentialsSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, **error("UNAUTHORIZED"))
@blp.alt_response(429, **error("TOO_MANY_REQUESTS"))
def token(data: dict[str, Any]) -> dict[str, Any]:
    """Exchange email and password for a short-lived access token and a refresh token."""
    user = service.authenticate(data["email"], data["password"])
    if user is None:
        raise Unauthorized("The email address or password is wrong.", www_authenticate=None)
    return issue_tokens(user)


@blp.route("/refresh", methods=["POST"])
@refresh_limits
@jwt_required(refresh=True)
@blp.response(200, TokenSchema)
@blp.alt_response(401, **error("UNAUTHORIZED"))
@blp.doc(security=BEARER_AUTH, description=f"Send the refresh token: `Authorization: {BEARER}`.")
def refresh() -> dict[str, Any]:
    """Spend the refresh token presented; return a new access and refresh token.

    Keep only the new refresh token: the spent one presented again ends the sign-in.
    """
    user: User = get_current_user()
    return rotate_refresh_token(user)


@blp.route("/revoke", methods=["POST"])
@jwt_required(verify_type=False)
@blp.response(204)
@blp.alt_response(401, **error("UNAUTHORIZED"))
@blp.doc(security=BEARER_AUTH)
def revoke() -> None:
    """Revoke the presented token (access or refresh): it is refused from now on."""
    revoke_current_token()


@blp.route("/revoke-all", methods=["POST"])
@login_required_api
@blp.response(204)
@blp.alt_response(401, **error("UNAUTHORIZED"))
@blp.doc(security=BEARER_AUTH)
def revoke_all() -> None:
    """Sign out everywhere: every token and browser session of the caller ends."""
    actor = current_actor()
    assert actor is not None
    service.revoke_everything(actor)


@blp.route("/me", methods=["GET"])
@login_required_api
@blp.response(200, UserSchema)
@blp.alt_response(401, **error("UNAUTHORIZED"))
@blp.doc(security=BEARER_AUTH)
def me() -> User | None:
    """Return the signed-in user."""
    return current_actor()
