"""app/security/keys.py: one key per purpose, and SECRET_KEY rotation with fallbacks."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import jwt as pyjwt
from app_helpers import make_settings
from flask import Flask
from flask.testing import FlaskClient
from web_helpers import HTML, bearer, form_login, get_tokens, make_user, page_csrf

from app import create_app
from app.extensions import db
from app.security.keys import CSRF, JWT, SESSION, STORAGE, derive
from app.settings import UploadSettings

OLD_KEY = "old-secret-key-0123456789abcdef-0123"
NEW_KEY = "new-secret-key-fedcba9876543210-3210"
ME = "/api/v1/auth/me"


def keyed_app(tmp_path: Path, secret: str, fallbacks: str = "") -> Flask:
    """An app on a SQLite file and an uploads folder shared by every app of the test."""
    settings = make_settings(f"sqlite:///{tmp_path / 'keys.db'}").model_copy(
        update={
            "secret_key": secret,
            "secret_key_fallbacks": fallbacks,
            "uploads": UploadSettings(local_dir=str(tmp_path / "objects")),
        }
    )
    application = create_app(settings)
    with application.app_context():
        db.create_all()
    return application


def forged(secret: str, user_id: int) -> dict[str, str]:
    """A well-formed access token for USER_ID signed (HS256) with SECRET."""
    claims = {"sub": str(user_id), "type": "access", "jti": "forged", "fresh": False}
    return bearer(pyjwt.encode(claims | {"exp": 4102444800, "iat": 1}, secret, "HS256"))


def test_every_purpose_signs_with_a_key_of_its_own(tmp_path: Path) -> None:
    app = keyed_app(tmp_path, NEW_KEY)
    keys = {
        "session": app.secret_key,
        "csrf": app.config["WTF_CSRF_SECRET_KEY"][-1],
        "jwt": app.config["JWT_SECRET_KEY"],
        "storage": app.extensions["storage"].keys[-1],
    }
    assert keys == {p: derive(NEW_KEY, p) for p in (SESSION, CSRF, JWT, STORAGE)}
    assert len(set(keys.values())) == 4
    assert NEW_KEY not in keys.values()

    user_id = make_user(app, "keys@example.com")
    client = app.test_client()
    assert client.get(ME, headers=bearer(get_tokens(client, "keys@example.com")["access_token"]))
    # Whoever holds SECRET_KEY's other derivatives (or SECRET_KEY) cannot mint an API token.
    for secret in (NEW_KEY, app.secret_key):
        refused = client.get(ME, headers=forged(str(secret), user_id))
        assert refused.status_code == 401
        assert refused.get_json()["error"] == "token_invalid"


def signed_in_everything(app: Flask) -> tuple[FlaskClient, dict[str, str], str, str]:
    """Sign in on APP by form and API; return the client, bearer, a CSRF token, a download URL."""
    make_user(app, "rotate@example.com")
    client = app.test_client()
    assert form_login(client, "rotate@example.com").status_code == 302
    csrf = page_csrf(client, "/items")
    auth = bearer(get_tokens(app.test_client(), "rotate@example.com")["access_token"])
    with app.test_request_context():
        url = app.extensions["storage"].presign_get("uploads/1/missing", "a.txt", 60)
    return client, auth, csrf, urlsplit(url).path


def move_cookies(source: FlaskClient, target: FlaskClient) -> None:
    """Give TARGET the cookies SOURCE holds (the same browser, another app instance)."""
    cookie = source.get_cookie("session")
    assert cookie is not None
    target.set_cookie("session", cookie.value)


def test_rotation_keeps_what_the_retired_key_signed_valid(tmp_path: Path) -> None:
    before = keyed_app(tmp_path, OLD_KEY)
    browser, auth, csrf, download = signed_in_everything(before)

    after = keyed_app(tmp_path, NEW_KEY, fallbacks=OLD_KEY)
    client = after.test_client()
    move_cookies(browser, client)
    assert client.get(ME, headers=auth).status_code == 200  # JWT signed with the old key
    assert client.get("/uploads", headers=HTML).status_code == 200  # session cookie
    created = client.post("/api/v1/items", json={"title": "t"}, headers={"X-CSRFToken": csrf})
    assert created.status_code == 201  # CSRF token
    assert client.get(download).status_code == 404  # a valid signature for a missing file
    # New tokens are signed with the new key and verify where only it is known.
    fresh = bearer(get_tokens(after.test_client(), "rotate@example.com")["access_token"])
    assert keyed_app(tmp_path, NEW_KEY).test_client().get(ME, headers=fresh).status_code == 200

    retired = keyed_app(tmp_path, NEW_KEY).test_client()  # the fallback dropped
    move_cookies(browser, retired)
    assert retired.get(ME, headers=auth).status_code == 401
    assert retired.get("/uploads", headers=HTML).status_code == 302  # back to sign-in
    assert retired.get(download).status_code == 403
