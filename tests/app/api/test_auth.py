"""app/auth/api.py, tokens.py, service.py: register, token, refresh, revoke, bad tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token, decode_token
from web_helpers import PASSWORD, bearer, get_tokens, make_user

from app.auth import revocation as store
from app.extensions import db
from app.models import RevokedToken, User
from app.models.base import utcnow
from app.security.passwords import verify_password
from app.services.signals import user_registered

AUTH = "/api/v1/auth"


def test_register_then_sign_in(client: FlaskClient) -> None:
    seen: list[User] = []

    def receive(user: User) -> None:
        seen.append(user)

    with user_registered.connected_to(receive):
        response = client.post(
            f"{AUTH}/register", json={"email": "New@Example.com", "password": PASSWORD}
        )
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "new@example.com"  # normalized
    assert body["role"] == "user"
    assert "password" not in body
    assert "password_hash" not in body
    assert [user.email for user in seen] == ["new@example.com"]

    tokens = get_tokens(client, "NEW@example.com")
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 15 * 60
    me = client.get(f"{AUTH}/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.get_json()["email"] == "new@example.com"


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"email": "a@example.com", "password": "short"}, 422, "password"),
        ({"email": "a@example.com", "password": " leading space pw"}, 422, "password"),
        ({"email": "not-an-email", "password": PASSWORD}, 422, None),
        ({"email": "a@example.com"}, 422, "password"),
        ({"email": "a@example.com", "password": "x" * 2000}, 422, "password"),
    ],
)
def test_register_refuses_bad_input(
    client: FlaskClient, payload: dict[str, str], status: int, field: str | None
) -> None:
    response = client.post(f"{AUTH}/register", json=payload)
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["error"] == "validation_error"
    if field:
        assert field in body["errors"]["json"]


def test_register_twice_is_a_conflict(client: FlaskClient) -> None:
    payload = {"email": "twice@example.com", "password": PASSWORD}
    assert client.post(f"{AUTH}/register", json=payload).status_code == 201
    again = client.post(f"{AUTH}/register", json={**payload, "email": "TWICE@example.com"})
    assert again.status_code == 409
    assert again.get_json()["error"] == "conflict"


def test_register_needs_json(client: FlaskClient) -> None:
    response = client.post(f"{AUTH}/register", data={"email": "a@example.com"})
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("email", "password"),
    [("user@example.com", "wrong password!"), ("nobody@example.com", PASSWORD)],
)
def test_wrong_credentials_are_401(
    app: Flask, client: FlaskClient, email: str, password: str
) -> None:
    make_user(app, "user@example.com")
    response = client.post(f"{AUTH}/token", json={"email": email, "password": password})
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    # The same message whether the account exists or not: no account enumeration.
    assert response.get_json()["message"] == "The email address or password is wrong."


def test_disabled_user_cannot_sign_in_or_use_tokens(app: Flask, client: FlaskClient) -> None:
    user_id = make_user(app, "gone@example.com")
    tokens = get_tokens(client, "gone@example.com")
    with app.app_context():
        db.session.get(User, user_id).is_active = False
        db.session.commit()
    response = client.post(
        f"{AUTH}/token", json={"email": "gone@example.com", "password": PASSWORD}
    )
    assert response.status_code == 401
    me = client.get(f"{AUTH}/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 401
    assert me.headers["WWW-Authenticate"].startswith("Bearer")


def test_outdated_hash_is_upgraded_on_sign_in(app: Flask, client: FlaskClient) -> None:
    user_id = make_user(app, "old@example.com")
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with app.app_context():
        db.session.get(User, user_id).password_hash = weak
        db.session.commit()
    get_tokens(client, "old@example.com")
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.password_hash != weak
        assert user.password_hash.startswith("$argon2id$")
        assert "m=8," not in user.password_hash
        assert verify_password(user.password_hash, PASSWORD)
        assert user.last_login_at is not None


def test_refresh_gives_a_new_token_pair(app: Flask, client: FlaskClient) -> None:
    make_user(app, "r@example.com")
    tokens = get_tokens(client, "r@example.com")
    response = client.post(f"{AUTH}/refresh", headers=bearer(tokens["refresh_token"]))
    assert response.status_code == 200
    fresh = response.get_json()
    assert fresh["refresh_token"] != tokens["refresh_token"]  # rotated: test_token_rotation.py
    assert client.get(f"{AUTH}/me", headers=bearer(fresh["access_token"])).status_code == 200
    # An access token is not a refresh token, and the other way round.
    wrong = client.post(f"{AUTH}/refresh", headers=bearer(tokens["access_token"]))
    assert wrong.status_code == 401
    assert wrong.get_json()["error"] == "token_invalid"
    assert client.get(f"{AUTH}/me", headers=bearer(tokens["refresh_token"])).status_code == 401


def test_revoked_tokens_are_refused(app: Flask, client: FlaskClient) -> None:
    make_user(app, "rev@example.com")
    tokens = get_tokens(client, "rev@example.com")
    access, refresh = tokens["access_token"], tokens["refresh_token"]
    assert client.post(f"{AUTH}/revoke", headers=bearer(access)).status_code == 204
    response = client.get(f"{AUTH}/me", headers=bearer(access))
    assert response.status_code == 401
    assert response.get_json()["error"] == "token_revoked"
    # Revoking the refresh token ends the session for good.
    assert client.post(f"{AUTH}/revoke", headers=bearer(refresh)).status_code == 204
    refused = client.post(f"{AUTH}/refresh", headers=bearer(refresh))
    assert refused.get_json()["error"] == "token_revoked"
    with app.app_context():  # no Redis configured: the database keeps the revocations
        rows = {row.token_type for row in db.session.scalars(db.select(RevokedToken))}
        assert rows == {"access", "refresh"}
        jti = decode_token(access)["jti"]
        assert db.session.get(RevokedToken, jti) is not None


def test_revoking_twice_is_harmless_and_expired_rows_are_pruned(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        store.revoke("old", "access", None, utcnow() - timedelta(seconds=1))
        store.revoke("new", "access", 1, utcnow() + timedelta(minutes=5))
        store.revoke("new", "access", 1, utcnow() + timedelta(minutes=5))
        assert store.is_revoked("new")
        store.revoke("newer", "refresh", 1, utcnow() + timedelta(minutes=5))
        assert not store.is_revoked("old")  # pruned once it could no longer be used anyway


@pytest.mark.parametrize(
    ("make_header", "code"),
    [
        (lambda good: f"Bearer {good[:-4]}AAAA", "token_invalid"),  # tampered signature
        (lambda good: "Bearer not.a.jwt", "token_invalid"),
        (lambda good: f"Token {good}", "unauthorized"),  # wrong scheme
        (lambda good: "Bearer", "token_invalid"),
    ],
)
def test_malformed_tokens_are_401(app: Flask, client: FlaskClient, make_header, code: str) -> None:  # type: ignore[no-untyped-def]
    make_user(app, "m@example.com")
    good = get_tokens(client, "m@example.com")["access_token"]
    response = client.get(f"{AUTH}/me", headers={"Authorization": make_header(good)})
    assert response.status_code == 401
    assert response.get_json()["error"] == code
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401(app: Flask, client: FlaskClient) -> None:
    user_id = make_user(app, "exp@example.com")
    with app.test_request_context():
        expired = create_access_token(str(user_id), expires_delta=timedelta(seconds=-30))
    response = client.get(f"{AUTH}/me", headers=bearer(expired))
    assert response.status_code == 401
    assert response.get_json()["error"] == "token_expired"
    # Even on a route anonymous callers may use, a bad token is refused rather than ignored.
    assert client.get("/api/v1/items", headers=bearer(expired)).status_code == 401


def test_token_of_a_deleted_user_is_401(app: Flask, client: FlaskClient) -> None:
    user_id = make_user(app, "del@example.com")
    token = get_tokens(client, "del@example.com")["access_token"]
    with app.app_context():
        db.session.delete(db.session.get(User, user_id))
        db.session.commit()
    assert client.get(f"{AUTH}/me", headers=bearer(token)).status_code == 401


def test_me_without_a_token_is_401(client: FlaskClient) -> None:
    response = client.get(f"{AUTH}/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_openapi_documents_bearer_auth(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert {"/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/revoke"} <= set(
        spec["paths"]
    )
    post = spec["paths"]["/api/v1/items"]["post"]
    assert {"401", "403"} <= set(post["responses"])
    assert post["security"] == [{"bearerAuth": []}]
