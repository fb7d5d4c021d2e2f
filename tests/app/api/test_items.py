"""app/api/items.py with app/services/items.py: CRUD, pagination, filters, validation."""

from __future__ import annotations

import json

from app_helpers import add_items
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from app.extensions import db
from app.models import User

URL = "/api/v1/items"


def create(client: FlaskClient, **payload: object) -> dict[str, object]:
    response = client.post(URL, json=payload)
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def test_create_read_update_delete(client: FlaskClient, owner: int) -> None:
    item = create(client, owner_id=owner, title="  First  ", body="hello")
    assert item["title"] == "First"
    assert item["owner"] == {"id": owner, "name": "Owner"}
    assert item["created_at"].endswith("+00:00")
    item_url = f"{URL}/{item['id']}"

    assert client.get(item_url).get_json()["body"] == "hello"

    changed = client.patch(item_url, json={"body": "changed"})
    assert changed.status_code == 200
    assert changed.get_json()["body"] == "changed"
    assert changed.get_json()["title"] == "First"

    assert client.delete(item_url).status_code == 204
    missing = client.get(item_url)
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "not_found"


def test_body_defaults_to_empty(client: FlaskClient, owner: int) -> None:
    assert create(client, owner_id=owner, title="t")["body"] == ""


def test_list_paginates_newest_first(app: Flask, client: FlaskClient, owner: int) -> None:
    add_items(app, owner, [f"item {n}" for n in range(5)])
    response = client.get(URL, query_string={"page_size": 2, "page": 2})
    assert response.status_code == 200
    pagination = json.loads(response.headers["X-Pagination"])
    assert pagination["total"] == 5
    assert pagination["total_pages"] == 3
    assert [item["title"] for item in response.get_json()] == ["item 2", "item 1"]


def test_page_past_the_end_is_empty(app: Flask, client: FlaskClient, owner: int) -> None:
    add_items(app, owner, ["only"])
    response = client.get(URL, query_string={"page": 10**12})
    assert response.status_code == 200
    assert response.get_json() == []


def test_filters_and_sort(app: Flask, client: FlaskClient, owner: int) -> None:
    add_items(app, owner, ["Banana bread", "apple pie", "Apple crumble", "100% cocoa"])
    titles = lambda **query: [i["title"] for i in client.get(URL, query_string=query).get_json()]  # noqa: E731
    assert titles(q="APPLE", sort="title") == ["Apple crumble", "apple pie"]
    assert titles(q="%") == ["100% cocoa"]  # LIKE wildcards are matched literally
    assert titles(q="_") == []
    assert titles(owner_id=owner + 1) == []
    assert len(titles(owner_id=owner)) == 4
    assert titles(sort="id")[0] == "Banana bread"
    assert titles(sort="-id")[0] == "100% cocoa"
    assert titles(sort="-title")[0] == "apple pie"
    assert titles(sort="created_at")[0] == "Banana bread"
    assert len(titles(created_after="2000-01-01T00:00:00Z")) == 4
    assert titles(created_before="2000-01-01T00:00:00+02:00") == []


def test_duplicate_title_for_one_owner_is_a_conflict(client: FlaskClient, owner: int) -> None:
    create(client, owner_id=owner, title="same")
    response = client.post(URL, json={"owner_id": owner, "title": "same"})
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "conflict"
    assert "same" in body["message"]


def test_renaming_onto_an_existing_title_is_a_conflict(client: FlaskClient, owner: int) -> None:
    create(client, owner_id=owner, title="a")
    second = create(client, owner_id=owner, title="b")
    response = client.patch(f"{URL}/{second['id']}", json={"title": "a"})
    assert response.status_code == 409
    assert client.patch(f"{URL}/{second['id']}", json={"title": "b"}).status_code == 200


def test_unknown_owner_is_a_field_error(app: Flask, client: FlaskClient, owner: int) -> None:
    with app.app_context():  # only admins may name another owner
        db.session.get(User, owner).is_admin = True
        db.session.commit()
    response = client.post(URL, json={"owner_id": 999, "title": "x"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"json": {"owner_id": ["User 999 does not exist."]}}


def test_openapi_document_is_valid_3_1(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    validate(spec, cls=OpenAPIV31SpecValidator)
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "message", "request_id"]
    responses = spec["paths"]["/api/v1/items"]["post"]["responses"]
    assert {"201", "409", "415", "422"} <= set(responses)
    assert {"/api/v1/items", "/api/v1/items/{item_id}"} <= set(spec["paths"])
    assert set(spec["paths"]["/api/v1/items/{item_id}"]) >= {"get", "patch", "delete"}


def test_docs_page_uses_only_local_assets(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "/api/v1/openapi.json" in page
    assert "http://" not in page
    assert "https://" not in page
    for asset in (
        "vendor/swagger-ui/swagger-ui-bundle.js",
        "vendor/swagger-ui/swagger-ui.css",
        "js/swagger-init.js",
    ):
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200, asset
        response.close()
