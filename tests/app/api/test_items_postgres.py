"""app/api/items.py on a real PostgreSQL: CRUD, isolation, hostile input."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

URL = "/api/v1/items"


def test_crud_on_postgres(pg_client: FlaskClient, pg_owner: int) -> None:
    created = pg_client.post(URL, json={"owner_id": pg_owner, "title": "On PG", "body": "é ✓"})
    assert created.status_code == 201
    item = created.get_json()
    assert item["body"] == "é ✓"
    assert item["created_at"].endswith("+00:00")
    assert pg_client.get(URL, query_string={"q": "on pg"}).get_json()[0]["id"] == item["id"]
    assert pg_client.patch(f"{URL}/{item['id']}", json={"title": "Renamed"}).status_code == 200
    assert pg_client.post(URL, json={"owner_id": pg_owner, "title": "Renamed"}).status_code == 409
    assert pg_client.delete(f"{URL}/{item['id']}").status_code == 204
    assert pg_client.get(f"{URL}/{item['id']}").status_code == 404


def test_tests_are_isolated(pg_client: FlaskClient) -> None:
    # The previous test's rows were truncated.
    assert pg_client.get(URL).get_json() == []


@pytest.mark.parametrize(
    "query",
    [
        {"q": "nul\x00"},
        {"owner_id": 2**40},
        {"created_after": "0001-01-01T00:00:00+05:00"},
        {"page": 10**30},
    ],
)
def test_hostile_queries_never_reach_postgres_as_errors(
    pg_client: FlaskClient, query: dict[str, object]
) -> None:
    assert pg_client.get(URL, query_string=query).status_code in (200, 422)


def test_nul_in_body_is_422_not_a_database_error(pg_client: FlaskClient, pg_owner: int) -> None:
    response = pg_client.post(URL, json={"owner_id": pg_owner, "title": "a", "body": "x\x00y"})
    assert response.status_code == 422
    assert "body" in response.get_json()["errors"]["json"]
