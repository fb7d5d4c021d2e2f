"""app/public: the HTML home page with its layout and macros."""

from __future__ import annotations

from app_helpers import add_items
from flask import Flask
from flask.testing import FlaskClient


def test_home_lists_recent_items_escaped(app: Flask, client: FlaskClient, owner: int) -> None:
    add_items(app, owner, ["older", "<script>alert(1)</script>"])
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "&lt;script&gt;" in page
    assert "<script>alert" not in page
    assert page.index("&lt;script&gt;") < page.index("older")  # newest first
    assert "by Owner" in page
    assert "version 1.2.3-test" in page
    assert "/static/css/app.css" in page


def test_home_without_items_says_how_to_add_some(client: FlaskClient) -> None:
    assert "No items yet" in client.get("/").get_data(as_text=True)


def test_home_shows_at_most_ten_items(app: Flask, client: FlaskClient, owner: int) -> None:
    add_items(app, owner, [f"entry-{n:02d}" for n in range(12)])
    page = client.get("/").get_data(as_text=True)
    assert page.count('class="item"') == 10
    assert "entry-11" in page
    assert "entry-01" not in page
