"""Helpers for the auth, security and page tests (a module name no other folder uses)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import User
from app.security.passwords import hash_password

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)
HTML = {"Accept": "text/html"}


def make_user(app: Flask, email: str, *, admin: bool = False, password: str = PASSWORD) -> int:
    """Create a user who can sign in and return its id."""
    with app.app_context():
        user = User(email=email, name=email.split("@")[0], is_admin=admin)
        user.password_hash = hash_password(password)
        db.session.add(user)
        db.session.commit()
        return user.id


def get_tokens(client: FlaskClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """Exchange credentials for tokens through the API."""
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def bearer(token: str) -> dict[str, str]:
    """Return an Authorization header for TOKEN."""
    return {"Authorization": f"Bearer {token}"}


def csrf_from(page: str) -> str:
    """Return the CSRF token embedded in an HTML page."""
    match = _CSRF.search(page)
    assert match, "no csrf_token field on the page"
    return match.group(1) or match.group(2)


def page_csrf(client: FlaskClient, path: str) -> str:
    """GET PATH and return its CSRF token."""
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, path
    return csrf_from(response.get_data(as_text=True))


def form_login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    """Sign in through the HTML form (with its CSRF token)."""
    token = page_csrf(client, "/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers=HTML,
    )
