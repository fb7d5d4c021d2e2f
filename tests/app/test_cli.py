"""app/cli.py: `flask create-admin` and `flask seed` are idempotent and fail in one line."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from web_helpers import HTML, bearer, form_login

from app.extensions import db
from app.models import Item, User
from app.security.passwords import verify_password

PASSWORD = "correct horse battery"


def run(app: Flask, *args: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=list(args), **kwargs)


def test_create_admin_from_env_then_idempotent(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    first = run(app, "create-admin", "Admin@Example.COM")
    assert first.exit_code == 0, first.output
    assert "admin admin@example.com created" in first.output
    second = run(app, "create-admin", "admin@example.com")
    assert second.exit_code == 0
    assert "already exists" in second.output
    with app.app_context():
        users = db.session.scalars(select(User)).all()
        assert len(users) == 1
        assert users[0].is_admin
        assert users[0].password_hash.startswith("$argon2id$")
        assert verify_password(users[0].password_hash, PASSWORD)


def test_create_admin_prompts_when_no_env(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    result = run(app, "create-admin", "root@example.com", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "created" in result.output


def test_create_admin_promotes_an_existing_user(
    app: Flask, owner: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    result = run(app, "create-admin", "owner@example.com")
    assert "promoted" in result.output
    with app.app_context():
        assert db.session.get(User, owner).is_admin  # type: ignore[union-attr]


def test_promotion_ends_every_token_and_session_of_the_account(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Someone registered the admin's address first (addresses are not verified) and holds a
    # 14-day refresh token and a browser session: promotion must not hand them admin rights.
    squatter = app.test_client()
    creds = {"email": "boss@example.com", "password": "squatters own password"}
    assert squatter.post("/api/v1/auth/register", json=creds).status_code == 201
    tokens = squatter.post("/api/v1/auth/token", json=creds).get_json()
    browser = app.test_client()
    assert form_login(browser, creds["email"], creds["password"]).status_code == 302

    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    assert "promoted" in run(app, "create-admin", "boss@example.com").output

    refreshed = squatter.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert (refreshed.status_code, refreshed.get_json()["error"]) == (401, "token_revoked")
    me = squatter.get("/api/v1/auth/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 401
    assert browser.get("/admin", headers=HTML).status_code == 302  # back to sign-in
    assert squatter.post("/api/v1/auth/token", json=creds).status_code == 401
    admin = squatter.post(
        "/api/v1/auth/token", json={"email": "boss@example.com", "password": PASSWORD}
    )
    assert admin.status_code == 200


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", PASSWORD, "invalid email address"),
        ("a@b", PASSWORD, "invalid email address"),
        ("ok@example.com", "short", "at least 12 characters"),
        ("ok@example.com", f" {PASSWORD}", "whitespace"),
    ],
)
def test_create_admin_bad_input_is_one_line(
    app: Flask, monkeypatch: pytest.MonkeyPatch, email: str, password: str, message: str
) -> None:
    monkeypatch.setenv("ADMIN_PASSWORD", password)
    result = run(app, "create-admin", email)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ")
    assert message in lines[0]
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_seed_is_idempotent(app: Flask) -> None:
    assert "seeded: 5 new item(s), 0 already present" in run(app, "seed", "--items", "5").output
    assert "seeded: 2 new item(s), 5 already present" in run(app, "seed", "--items", "7").output
    assert "seeded: 0 new item(s), 7 already present" in run(app, "seed", "--items", "7").output
    with app.app_context():
        assert db.session.scalar(select(func.count(Item.id))) == 7
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_seed_default_count(app: Flask) -> None:
    assert "seeded: 20 new item(s)" in run(app, "seed").output


@pytest.mark.parametrize("count", ["-1", "abc", "1001", "2.5"])
def test_seed_bad_count_is_one_line(app: Flask, count: str) -> None:
    result = run(app, "seed", "--items", count)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: --items must be a whole number from 0 to 1000"
    ]


def test_database_errors_are_one_line(app: Flask) -> None:
    with app.app_context():
        db.drop_all()
    result = run(app, "seed")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: database error: ")
    assert "no such table" in lines[0]
