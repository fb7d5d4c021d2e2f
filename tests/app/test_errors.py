"""app/errors.py: every error is JSON {error, message, request_id} with the right status."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError

from app.errors import _first_message, _reason_code
from app.extensions import db

URL = "/api/v1/items"


def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == code
    assert body["message"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body  # type: ignore[no-any-return]


def test_400_malformed_json(client: FlaskClient, owner: int) -> None:
    response = client.post(URL, data='{"title": ', content_type="application/json")
    body = assert_error(response, 400, "bad_request")
    assert "JSON" in body["message"]


def test_400_invalid_utf8(client: FlaskClient, owner: int) -> None:
    response = client.post(URL, data=b'{"title": "\xff"}', content_type="application/json")
    assert_error(response, 400, "bad_request")


def test_404_unknown_path(client: FlaskClient) -> None:
    assert_error(client.get("/api/v1/nothing"), 404, "not_found")


def test_404_unknown_item(client: FlaskClient) -> None:
    assert_error(client.get(f"{URL}/123"), 404, "not_found")
    assert_error(client.get(f"{URL}/{2**70}"), 404, "not_found")


def test_405_lists_allowed_methods(client: FlaskClient) -> None:
    response = client.put(f"{URL}/1", json={})
    assert_error(response, 405, "method_not_allowed")
    assert "PATCH" in response.headers["Allow"]


def test_409_conflict(client: FlaskClient, owner: int) -> None:
    client.post(URL, json={"owner_id": owner, "title": "dup"})
    assert_error(client.post(URL, json={"owner_id": owner, "title": "dup"}), 409, "conflict")


def test_413_oversize_body(client: FlaskClient, owner: int) -> None:
    payload = b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = client.post(URL, data=payload, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_415_wrong_content_type(client: FlaskClient, content_type: str | None) -> None:
    response = client.post(URL, data='{"title": "x"}', content_type=content_type)
    assert_error(response, 415, "unsupported_media_type")


def test_415_on_patch(client: FlaskClient) -> None:
    assert_error(client.patch(f"{URL}/1", data="title=x"), 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"owner_id": 1, "title": "x", "colour": "red"}, "colour"),  # unknown field
        ({"owner_id": 1}, "title"),  # missing field
        ({"owner_id": "1", "title": "x"}, "owner_id"),  # no coercion from strings
        ({"owner_id": 1, "title": "   "}, "title"),  # blank after trimming
        ({"owner_id": 1, "title": "x" * 201}, "title"),
        ({"owner_id": 1, "title": "nul\x00byte"}, "title"),
        ({"owner_id": 0, "title": "x"}, "owner_id"),
        ({"owner_id": 1, "title": "x", "body": 5}, "body"),
    ],
)
def test_422_validation(
    client: FlaskClient, payload: dict[str, object], field: str, owner: int
) -> None:
    body = assert_error(client.post(URL, json=payload), 422, "validation_error")
    assert field in body["errors"]["json"]


@pytest.mark.parametrize("payload", [[], "text", 5, None])
def test_422_body_not_an_object(client: FlaskClient, payload: object, owner: int) -> None:
    response = client.post(
        URL, data=__import__("json").dumps(payload), content_type="application/json"
    )
    assert_error(response, 422, "validation_error")


def test_422_empty_patch(app: Flask, client: FlaskClient, owner: int) -> None:
    created = client.post(URL, json={"owner_id": owner, "title": "x"}).get_json()
    assert_error(client.patch(f"{URL}/{created['id']}", json={}), 422, "validation_error")


@pytest.mark.parametrize(
    "query",
    [
        {"page": 0},
        {"page_size": 1000},
        {"owner_id": "abc"},
        {"sort": "password"},
        {"created_after": "yesterday"},
        {"created_after": "2024-01-01T00:00:00"},  # naive timestamps are ambiguous
        {"created_after": "0001-01-01T00:00:00+05:00"},
        {"q": "a" * 101},
    ],
)
def test_422_bad_query(client: FlaskClient, query: dict[str, object]) -> None:
    assert_error(client.get(URL, query_string=query), 422, "validation_error")


def test_unexpected_exception_is_a_json_500_without_details(app: Flask) -> None:
    @app.get("/api/v1/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    response = app.test_client().get("/api/v1/boom")
    body = assert_error(response, 500, "internal_error")
    assert "secret" not in response.get_data(as_text=True)
    assert body["message"] == "An unexpected error occurred."


def test_database_error_from_a_value_is_a_400(app: Flask) -> None:
    from sqlalchemy.exc import DataError

    @app.get("/api/v1/bad-value")
    def bad_value() -> str:
        raise DataError("SELECT", {}, Exception("value out of range"))

    assert_error(app.test_client().get("/api/v1/bad-value"), 400, "bad_request")


def test_unforeseen_integrity_error_is_a_409(app: Flask) -> None:
    from sqlalchemy.exc import IntegrityError

    @app.get("/api/v1/integrity")
    def integrity() -> str:
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    assert_error(app.test_client().get("/api/v1/integrity"), 409, "conflict")


def test_browsers_get_an_html_error_page_outside_the_api(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert response.headers["X-Request-ID"] in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_api_paths_answer_json_even_to_browsers(client: FlaskClient) -> None:
    response = client.get("/api/v1/items/999", headers={"Accept": "text/html"})
    assert response.mimetype == "application/json"


def test_400_json_nested_too_deeply(client: FlaskClient, owner: int) -> None:
    response = client.post(URL, data="[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert_error(response, 400, "bad_request")


def test_reason_codes() -> None:
    assert _reason_code(418) == "i'm_a_teapot"
    assert _reason_code(599) == "error"
    assert _first_message({"json": {"title": ["Bad."]}}) == "Bad."
    assert _first_message({"json": {}}) is None


def test_rollback_failure_after_an_error_is_tolerated(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    @app.get("/api/v1/conflict")
    def conflict() -> str:
        def broken_rollback() -> None:
            raise ConnectionError("gone")

        monkeypatch.setattr(db.session, "rollback", broken_rollback)
        raise IntegrityError("INSERT", {}, Exception("duplicate"))

    assert app.test_client().get("/api/v1/conflict").status_code == 409
