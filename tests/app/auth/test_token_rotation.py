"""app/auth/tokens.py: refresh tokens rotate, a spent one ends its sign-in, epochs revoke all."""

from __future__ import annotations

import threading

from flask import Flask
from flask.testing import FlaskClient
from web_helpers import PASSWORD, bearer, get_tokens, make_user

from app.extensions import db
from app.models import User
from app.services import users

AUTH = "/api/v1/auth"


def refresh(client: FlaskClient, token: str) -> tuple[int, dict[str, str]]:
    response = client.post(f"{AUTH}/refresh", headers=bearer(token))
    return response.status_code, response.get_json()


def me(client: FlaskClient, token: str) -> int:
    return client.get(f"{AUTH}/me", headers=bearer(token)).status_code


def test_a_refresh_token_works_once(app: Flask, client: FlaskClient) -> None:
    make_user(app, "once@example.com")
    first = get_tokens(client, "once@example.com")
    status, second = refresh(client, first["refresh_token"])
    assert status == 200
    status, third = refresh(client, second["refresh_token"])  # the new one works, once too
    assert status == 200
    assert me(client, third["access_token"]) == 200


def test_a_spent_refresh_token_presented_again_ends_its_sign_in(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app, "stolen@example.com")
    other_device = get_tokens(client, "stolen@example.com")
    first = get_tokens(client, "stolen@example.com")
    status, rotated = refresh(client, first["refresh_token"])  # the owner refreshes
    assert status == 200

    status, body = refresh(client, first["refresh_token"])  # a copy of the old one comes back
    assert (status, body["error"]) == (401, "token_revoked")
    # The whole family ends: what the owner (or the thief) got from it is refused too...
    assert refresh(client, rotated["refresh_token"])[0] == 401
    assert me(client, rotated["access_token"]) == 401
    assert me(client, first["access_token"]) == 401
    # ...while another sign-in of the same account goes on.
    assert me(client, other_device["access_token"]) == 200
    assert refresh(client, other_device["refresh_token"])[0] == 200


def test_password_change_and_sign_out_everywhere_revoke_every_token(
    app: Flask, client: FlaskClient
) -> None:
    user_id = make_user(app, "epoch@example.com")
    tokens = [get_tokens(client, "epoch@example.com") for _ in range(2)]
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        users.set_password(user, "a brand new password 123")
    for pair in tokens:
        assert me(client, pair["access_token"]) == 401
        assert refresh(client, pair["refresh_token"])[0] == 401
    fresh = get_tokens(client, "epoch@example.com", "a brand new password 123")
    assert me(client, fresh["access_token"]) == 200

    everywhere = client.post(f"{AUTH}/revoke-all", headers=bearer(fresh["access_token"]))
    assert everywhere.status_code == 204
    assert me(client, fresh["access_token"]) == 401
    assert refresh(client, fresh["refresh_token"])[0] == 401
    assert client.post(f"{AUTH}/revoke-all").status_code == 401
    old_password = {"email": "epoch@example.com", "password": PASSWORD}
    assert client.post(f"{AUTH}/token", json=old_password).status_code == 401


def test_the_same_refresh_token_twice_at_once_is_one_success(pg_app: Flask) -> None:
    make_user(pg_app, "race@example.com")
    first = get_tokens(pg_app.test_client(), "race@example.com")
    barrier = threading.Barrier(3)
    statuses: list[int] = []

    def refresh_in_parallel() -> None:
        client = pg_app.test_client()
        barrier.wait()
        statuses.append(refresh(client, first["refresh_token"])[0])

    threads = [threading.Thread(target=refresh_in_parallel) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [200, 401, 401]  # never a 500, never two new pairs
