"""app/public and app/auth/views.py: sign-in pages, item pages, upload and admin pages."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from web_helpers import HTML, PASSWORD, csrf_from, form_login, make_user, page_csrf

from app.extensions import db
from app.models import Item, User


def post_form(client: FlaskClient, path: str, data: dict[str, str], token_page: str | None = None):  # type: ignore[no-untyped-def]
    """POST DATA to PATH with the CSRF token of TOKEN_PAGE (default: PATH itself)."""
    token = page_csrf(client, token_page or path)
    return client.post(path, data={**data, "csrf_token": token}, headers=HTML)


def test_register_page_creates_and_signs_in(app: Flask, client: FlaskClient) -> None:
    response = post_form(
        client,
        "/register",
        {"name": "Ada", "email": "ada@example.com", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/items"
    page = client.get("/items", headers=HTML).get_data(as_text=True)
    assert "Welcome! Your account is ready." in page
    assert "Sign out" in page
    with app.app_context():
        assert db.session.scalar(db.select(User.name)) == "Ada"


def test_register_page_shows_field_errors(app: Flask, client: FlaskClient) -> None:
    make_user(app, "taken@example.com")
    mismatch = post_form(
        client,
        "/register",
        {"email": "new@example.com", "password": PASSWORD, "confirm": PASSWORD + "!"},
    )
    assert mismatch.status_code == 400
    text = mismatch.get_data(as_text=True)
    assert "The passwords differ." in text
    assert 'aria-invalid="true"' in text
    taken = post_form(
        client,
        "/register",
        {"email": "taken@example.com", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert taken.status_code == 409
    assert "already exists" in taken.get_data(as_text=True)
    spaced = " " + PASSWORD
    weak = post_form(
        client, "/register", {"email": "w@example.com", "password": spaced, "confirm": spaced}
    )
    assert weak.status_code == 422
    assert "cannot be used" in weak.get_data(as_text=True)


def test_login_logout_and_safe_next(app: Flask, client: FlaskClient) -> None:
    make_user(app, "me@example.com")
    wrong = form_login(client, "me@example.com", "not the password")
    assert wrong.status_code == 401
    assert "The email address or password is wrong." in wrong.get_data(as_text=True)
    assert post_form(client, "/login", {"email": "", "password": ""}).status_code == 400

    # ?next= only ever leads to a path on this site.
    token = page_csrf(client, "/login")
    data = {"email": "me@example.com", "password": PASSWORD, "csrf_token": token}
    evil = client.post("/login?next=//evil.example/x", data=data, headers=HTML)
    assert evil.headers["Location"] == "/items"
    assert client.get("/login", headers=HTML).status_code == 302  # already signed in

    token = page_csrf(client, "/items")
    out = client.post("/logout", data={"csrf_token": token}, headers=HTML)
    assert out.status_code == 302
    assert "Sign in" in client.get("/", headers=HTML).get_data(as_text=True)


def test_next_leads_back_to_the_page_that_asked(app: Flask, client: FlaskClient) -> None:
    make_user(app, "me@example.com")
    bounce = client.get("/items/new", headers=HTML)
    assert bounce.status_code == 302
    assert bounce.headers["Location"].startswith("/login?next=/items/new")
    token = page_csrf(client, "/login")
    data = {"email": "me@example.com", "password": PASSWORD, "csrf_token": token}
    response = client.post("/login?next=/items/new", data=data, headers=HTML)
    assert response.headers["Location"] == "/items/new"


def test_item_pages_create_edit_delete(app: Flask, client: FlaskClient) -> None:
    make_user(app, "me@example.com")
    form_login(client, "me@example.com")
    created = post_form(client, "/items/new", {"title": "  <b>bold</b>  ", "body": "text"})
    assert created.status_code == 302
    item_path = created.headers["Location"]
    page = client.get(item_path, headers=HTML).get_data(as_text=True)
    assert "&lt;b&gt;bold&lt;/b&gt;" in page  # autoescaped
    assert "Edit" in page

    duplicate = post_form(client, "/items/new", {"title": "<b>bold</b>", "body": ""})
    assert duplicate.status_code == 409
    assert post_form(client, "/items/new", {"title": "", "body": ""}).status_code == 400
    assert post_form(client, "/items/new", {"title": "nul\x00", "body": ""}).status_code == 400

    edited = post_form(client, f"{item_path}/edit", {"title": "renamed", "body": "new"})
    assert edited.status_code == 302
    assert "renamed" in client.get(item_path, headers=HTML).get_data(as_text=True)
    post_form(client, "/items/new", {"title": "second", "body": ""})
    clash = post_form(client, f"{item_path}/edit", {"title": "second", "body": ""})
    assert clash.status_code == 409

    token = page_csrf(client, item_path)
    deleted = client.post(f"{item_path}/delete", data={"csrf_token": token}, headers=HTML)
    assert deleted.status_code == 302
    assert client.get(item_path, headers=HTML).status_code == 404


def test_others_cannot_edit_but_admins_can(app: Flask, client: FlaskClient) -> None:
    owner = make_user(app, "owner@example.com")
    make_user(app, "other@example.com")
    make_user(app, "admin@example.com", admin=True)
    with app.app_context():
        item = Item(owner_id=owner, title="owned", body="")
        db.session.add(item)
        db.session.commit()
        path = f"/items/{item.id}"
    form_login(client, "other@example.com")
    assert "/edit" not in client.get(path, headers=HTML).get_data(as_text=True)
    assert client.get(f"{path}/edit", headers=HTML).status_code == 403
    token = page_csrf(client, path)
    assert (
        client.post(f"{path}/delete", data={"csrf_token": token}, headers=HTML).status_code == 403
    )

    admin = app.test_client()
    form_login(admin, "admin@example.com")
    assert f"{path}/edit" in admin.get(path, headers=HTML).get_data(as_text=True)
    assert admin.get(f"{path}/edit", headers=HTML).status_code == 200


def test_items_list_paginates_and_searches(app: Flask, client: FlaskClient) -> None:
    owner = make_user(app, "owner@example.com")
    with app.app_context():
        db.session.add_all(Item(owner_id=owner, title=f"thing {n:02d}") for n in range(25))
        db.session.commit()
    first = client.get("/items", headers=HTML).get_data(as_text=True)
    assert "25 items" in first
    assert 'rel="next"' in first
    assert 'rel="prev"' not in first
    second = client.get("/items?page=2", headers=HTML).get_data(as_text=True)
    assert second.count('class="item"') == 5
    assert 'rel="prev"' in second
    found = client.get("/items?q=thing%2007", headers=HTML).get_data(as_text=True)
    assert "1 item" in found
    assert client.get("/items?page=-5&q=%00", headers=HTML).status_code == 200


def test_upload_page_needs_sign_in_and_has_no_inline_script(
    app: Flask, client: FlaskClient
) -> None:
    assert client.get("/uploads", headers=HTML).status_code == 302
    make_user(app, "up@example.com")
    form_login(client, "up@example.com")
    page = client.get("/uploads", headers=HTML).get_data(as_text=True)
    assert '<script src="/static/js/upload.js" defer></script>' in page
    assert 'data-api="/api/v1/uploads"' in page
    assert csrf_from(page.replace("data-csrf=", 'name="csrf_token" value=', 1))
    assert client.get("/static/js/upload.js").status_code == 200


def test_admin_page_is_for_admins_only(app: Flask, client: FlaskClient) -> None:
    assert client.get("/admin", headers=HTML).status_code == 302
    make_user(app, "user@example.com")
    make_user(app, "boss@example.com", admin=True)
    form_login(client, "user@example.com")
    forbidden = client.get("/admin", headers=HTML)
    assert forbidden.status_code == 403
    assert "This page is for admins only." in forbidden.get_data(as_text=True)
    admin = app.test_client()
    form_login(admin, "boss@example.com")
    page = admin.get("/admin", headers=HTML).get_data(as_text=True)
    assert "boss@example.com" in page
    assert "user@example.com" in page
    assert '<th scope="col">' in page


def test_layout_is_accessible(client: FlaskClient) -> None:
    page = client.get("/", headers=HTML).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert '<main id="content">' in page
    assert 'href="#content"' in page
    assert '<nav aria-label="Main">' in page
    assert '<label for="locale">' in page


def test_error_pages_render_while_the_database_is_down(app: Flask, client: FlaskClient) -> None:
    make_user(app, "me@example.com")
    form_login(client, "me@example.com")
    with app.app_context():
        db.drop_all()  # every query now fails, as during an outage
    response = client.get("/items", headers=HTML)
    assert response.status_code in (500, 503)
    assert "Traceback" not in response.get_data(as_text=True)
    with app.app_context():
        db.create_all()
