"""app/i18n: locale from preference or Accept-Language; dates, numbers, committed catalogs."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from web_helpers import HTML, form_login, make_user, page_csrf

from app.extensions import db
from app.models import Item, User

ROOT = Path(__file__).resolve().parents[3]
CATALOG = ROOT / "app" / "translations" / "fr" / "LC_MESSAGES"


def french(client: FlaskClient, path: str = "/") -> str:
    return client.get(
        path, headers={**HTML, "Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
    ).get_data(as_text=True)


def test_accept_language_picks_french(client: FlaskClient) -> None:
    page = french(client)
    assert '<html lang="fr">' in page
    assert "Éléments récents" in page
    assert "Aller au contenu" in page
    english = client.get("/", headers={**HTML, "Accept-Language": "de, en;q=0.5"})
    assert '<html lang="en">' in english.get_data(as_text=True)


def test_dates_and_numbers_follow_the_locale(app: Flask, client: FlaskClient) -> None:
    owner = make_user(app, "o@example.com")
    with app.app_context():
        db.session.add_all(
            Item(owner_id=owner, title=f"t{n}", created_at=datetime(2026, 3, 4, 15, 30, tzinfo=UTC))
            for n in range(1234)
        )
        db.session.commit()
    english = client.get("/items", headers=HTML).get_data(as_text=True)
    assert "1,234 items" in english
    assert "Mar 4, 2026" in english
    page = french(client, "/items")
    assert "1\u202f234 éléments" in page or "1\u00a0234 éléments" in page
    assert "4 mars 2026" in page


def test_preference_is_stored_on_the_account(app: Flask, client: FlaskClient) -> None:
    user_id = make_user(app, "fr@example.com")
    form_login(client, "fr@example.com")
    token = page_csrf(client, "/items")
    response = client.post(
        "/preferences/language",
        data={"locale": "fr", "next": "/items", "csrf_token": token},
        headers=HTML,
    )
    assert response.headers["Location"] == "/items"
    with app.app_context():
        assert db.session.get(User, user_id).locale == "fr"
    # The account's choice wins over the browser's, in a new session too.
    other = app.test_client()
    form_login(other, "fr@example.com")
    assert '<html lang="fr">' in other.get("/", headers={**HTML, "Accept-Language": "en"}).get_data(
        as_text=True
    )
    token = page_csrf(client, "/items")
    client.post("/preferences/language", data={"locale": "auto", "csrf_token": token}, headers=HTML)
    with app.app_context():
        assert db.session.get(User, user_id).locale is None


def test_anonymous_choice_lives_in_the_session(client: FlaskClient) -> None:
    token = page_csrf(client, "/")
    client.post(
        "/preferences/language",
        data={"locale": "fr", "next": "//evil", "csrf_token": token},
        headers=HTML,
    )
    assert '<html lang="fr">' in client.get("/", headers=HTML).get_data(as_text=True)
    token = page_csrf(client, "/")
    bad = client.post(
        "/preferences/language", data={"locale": "xx", "csrf_token": token}, headers=HTML
    )
    assert bad.status_code == 400


def test_api_errors_are_translated_too(client: FlaskClient) -> None:
    response = client.post("/login", data={}, headers={"Accept-Language": "fr"})
    assert response.status_code == 400
    assert "Ce formulaire a expiré" in response.get_json()["message"]


def test_catalogs_are_complete_and_compiled(tmp_path: Path) -> None:
    """The committed .pot covers the code, .po translates all of it, .mo matches .po."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "app/i18n/babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--omit-header",
            "-o",
            str(pot),
            "app",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fresh, (CATALOG / "messages.po").open("rb") as po_file:
        wanted = {m.id for m in read_po(fresh) if m.id}
        po = read_po(po_file)
    translated = {m.id for m in po if m.id and m.string and "fuzzy" not in m.flags}
    assert wanted - translated == set(), "run `make i18n` and translate the new messages"
    with (CATALOG / "messages.mo").open("rb") as mo_file:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(mo_file) if m.id}
    source = {_key(m.id): _key(m.string) for m in po if m.id in wanted}
    assert source == {key: compiled.get(key) for key in source}, "run `make i18n` (compile)"


def _key(value: object) -> object:
    """Make plural ids and strings (lists in .mo, tuples in .po) comparable."""
    return tuple(value) if isinstance(value, list | tuple) else value
