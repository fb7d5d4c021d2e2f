"""app/auth/sessions.py: browser sessions live server-side: sign-out and expiry end copies too."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from web_helpers import HTML, csrf_from, form_login, make_user

from app.extensions import db
from app.models import UserSession
from app.models.base import utcnow

PAGE = "/uploads"  # any page that needs a signed-in user


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Return another browser holding CLIENT's session cookie (a stolen copy)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def sign_out(client: FlaskClient) -> None:
    token = csrf_from(client.get("/items", headers=HTML).get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token}, headers=HTML)
    assert response.status_code == 302


def test_sign_out_ends_every_copy_of_the_cookie(app: Flask, client: FlaskClient) -> None:
    make_user(app, "victim@example.com")
    assert form_login(client, "victim@example.com").status_code == 302
    thief = copy_of(app, client)
    assert thief.get(PAGE, headers=HTML).status_code == 200  # the copy works while signed in
    sign_out(client)
    refused = thief.get(PAGE, headers=HTML)
    assert refused.status_code == 302
    assert "/login" in refused.headers["Location"]
    with app.app_context():
        assert db.session.scalars(db.select(UserSession)).all() == []


def test_sessions_expire_on_the_server_and_in_the_cookie(app: Flask, client: FlaskClient) -> None:
    assert app.permanent_session_lifetime == timedelta(hours=12)  # not Flask's 31 days
    user_id = make_user(app, "expiring@example.com")
    assert form_login(client, "expiring@example.com").status_code == 302
    with app.app_context():
        row = db.session.scalars(db.select(UserSession)).one()
        assert row.user_id == user_id
        assert timedelta(hours=11) < row.expires_at - utcnow() <= timedelta(hours=12)
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get(PAGE, headers=HTML).status_code == 302


def test_a_cookie_without_a_session_row_is_anonymous(app: Flask, client: FlaskClient) -> None:
    make_user(app, "forged@example.com")
    assert form_login(client, "forged@example.com").status_code == 302
    with client.session_transaction() as session:
        session["sid"] = "made-up"
    assert client.get(PAGE, headers=HTML).status_code == 302
