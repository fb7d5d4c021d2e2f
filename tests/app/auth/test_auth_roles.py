"""app/auth/actor.py on the items API: 401 anonymous, 403 wrong user or role, owners and admins."""

from __future__ import annotations

import pytest
from app_helpers import make_settings
from flask import Flask
from flask.testing import FlaskClient
from web_helpers import bearer, get_tokens, make_user

from app import create_app
from app.auth import current_actor, login_required_api, role_required
from app.extensions import db

URL = "/api/v1/items"


@pytest.fixture
def people(app: Flask, client: FlaskClient) -> dict[str, dict[str, str]]:
    """Bearer headers of an owner, another user and an admin."""
    make_user(app, "owner@example.com")
    make_user(app, "other@example.com")
    make_user(app, "admin@example.com", admin=True)
    return {
        name: bearer(get_tokens(client, f"{name}@example.com")["access_token"])
        for name in ("owner", "other", "admin")
    }


def test_anonymous_may_read_but_not_write(
    client: FlaskClient, people: dict[str, dict[str, str]]
) -> None:
    created = client.post(URL, json={"title": "mine"}, headers=people["owner"]).get_json()
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}/{created['id']}").status_code == 200
    for method in ("post", "patch", "delete"):
        path = URL if method == "post" else f"{URL}/{created['id']}"
        response = getattr(client, method)(path, json={"title": "x"})
        assert response.status_code == 401, method
        assert response.get_json()["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_owner_comes_from_the_token(client: FlaskClient, people: dict[str, dict[str, str]]) -> None:
    response = client.post(URL, json={"title": "t"}, headers=people["owner"])
    assert response.status_code == 201
    me = client.get("/api/v1/auth/me", headers=people["owner"]).get_json()
    assert response.get_json()["owner_id"] == me["id"]


def test_users_cannot_create_for_someone_else(
    client: FlaskClient, people: dict[str, dict[str, str]]
) -> None:
    other_id = client.get("/api/v1/auth/me", headers=people["other"]).get_json()["id"]
    response = client.post(URL, json={"title": "t", "owner_id": other_id}, headers=people["owner"])
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    by_admin = client.post(URL, json={"title": "t", "owner_id": other_id}, headers=people["admin"])
    assert by_admin.status_code == 201
    assert by_admin.get_json()["owner_id"] == other_id


def test_only_owner_or_admin_may_change(
    client: FlaskClient, people: dict[str, dict[str, str]]
) -> None:
    item = client.post(URL, json={"title": "guarded"}, headers=people["owner"]).get_json()
    path = f"{URL}/{item['id']}"
    assert client.patch(path, json={"body": "no"}, headers=people["other"]).status_code == 403
    assert client.delete(path, headers=people["other"]).status_code == 403
    assert client.patch(path, json={"body": "mine"}, headers=people["owner"]).status_code == 200
    changed = client.patch(path, json={"body": "admin"}, headers=people["admin"])
    assert changed.status_code == 200
    assert changed.get_json()["body"] == "admin"
    assert client.delete(path, headers=people["admin"]).status_code == 204
    # A missing item is a 404 for a signed-in caller, whoever they are.
    assert client.delete(path, headers=people["other"]).status_code == 404


def test_role_required_and_login_required_api() -> None:
    app = create_app(make_settings())

    @app.get("/test-only/admin")
    @role_required("admin")
    def admin_only() -> dict[str, str]:
        actor = current_actor()
        assert actor is not None
        return {"email": actor.email}

    @app.get("/test-only/any")
    @login_required_api
    def anyone() -> dict[str, str]:
        actor = current_actor()
        assert actor is not None
        return {"role": actor.role}

    with app.app_context():
        db.create_all()
    make_user(app, "user@example.com")
    make_user(app, "admin@example.com", admin=True)
    client = app.test_client()
    user = bearer(get_tokens(client, "user@example.com")["access_token"])
    admin = bearer(get_tokens(client, "admin@example.com")["access_token"])
    assert client.get("/test-only/admin").status_code == 401
    assert client.get("/test-only/admin", headers=user).status_code == 403
    assert client.get("/test-only/admin", headers=admin).get_json() == {
        "email": "admin@example.com"
    }
    assert client.get("/test-only/any").status_code == 401
    assert client.get("/test-only/any", headers=user).get_json() == {"role": "user"}
