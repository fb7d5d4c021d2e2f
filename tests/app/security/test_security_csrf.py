"""app/security/csrf.py: cookie-authenticated writes need a CSRF token; failures are clean."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from web_helpers import HTML, csrf_from, form_login, make_user, page_csrf


def test_form_without_token_gets_a_clean_400_page(app: Flask, client: FlaskClient) -> None:
    make_user(app, "u@example.com")
    response = client.post(
        "/login", data={"email": "u@example.com", "password": "whatever"}, headers=HTML
    )
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "This form has expired or did not come from this site." in page
    assert "Traceback" not in page
    assert response.headers["X-Request-ID"] in page


def test_token_from_another_session_is_refused(app: Flask, client: FlaskClient) -> None:
    make_user(app, "u@example.com")
    other = app.test_client()
    stolen = page_csrf(other, "/login")
    page_csrf(client, "/login")
    response = client.post(
        "/login",
        data={"email": "u@example.com", "password": "x", "csrf_token": stolen},
        headers=HTML,
    )
    assert response.status_code == 400


def test_session_api_calls_need_the_csrf_header(app: Flask, client: FlaskClient) -> None:
    make_user(app, "s@example.com")
    assert form_login(client, "s@example.com").status_code == 302
    refused = client.post("/api/v1/items", json={"title": "no token"})
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "csrf_failed"
    token = csrf_from(client.get("/items", headers=HTML).get_data(as_text=True))
    accepted = client.post(
        "/api/v1/items", json={"title": "with token"}, headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201
    # Reads never need the token.
    assert client.get("/api/v1/items").status_code == 200


def test_anonymous_api_writes_get_401_not_a_csrf_error(client: FlaskClient) -> None:
    assert client.post("/api/v1/items", json={"title": "x"}).status_code == 401


def test_sign_out_needs_the_token(app: Flask, client: FlaskClient) -> None:
    make_user(app, "o@example.com")
    form_login(client, "o@example.com")
    assert client.post("/logout", headers=HTML).status_code == 400
    token = page_csrf(client, "/items")
    assert client.post("/logout", data={"csrf_token": token}, headers=HTML).status_code == 302
