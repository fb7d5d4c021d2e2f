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


def test_the_list_shows_each_item_as_its_own_url_does(
    pg_client: FlaskClient, pg_owner: int
) -> None:
    for title in ("first", "second 100%", "third"):
        assert (
            pg_client.post(URL, json={"title": title, "body": f"{title} body"}).status_code == 201
        )
    listed = pg_client.get(URL).get_json()
    assert [item["title"] for item in listed] == ["third", "second 100%", "first"]
    for item in listed:  # item_json (lists) and ItemSchema (one item) give the same document
        assert pg_client.get(f"{URL}/{item['id']}").get_json() == item
    assert listed[0]["owner"] == {"id": pg_owner, "name": "PG owner"}


def test_each_combination_of_filters_gets_its_own_statement(
    pg_client: FlaskClient, pg_owner: int
) -> None:
    for title in ("Apple pie", "apple tart", "Banana", "100% apple"):
        assert pg_client.post(URL, json={"title": title}).status_code == 201
    first = pg_client.get(URL, query_string={"sort": "id"}).get_json()
    since = first[1]["created_at"]

    def titles(**query: object) -> list[str]:
        return [item["title"] for item in pg_client.get(URL, query_string=query).get_json()]

    assert titles(q="apple", sort="title") == ["100% apple", "Apple pie", "apple tart"]
    assert titles(q="%", sort="id") == ["100% apple"]
    assert titles(owner_id=pg_owner, created_after=since, sort="id") == [
        "apple tart",
        "Banana",
        "100% apple",
    ]
    assert titles(owner_id=pg_owner + 1) == []
    assert titles(q="apple", created_before=since) == ["Apple pie"]
    # The same filters again, with other values: the cached statement binds the new ones.
    assert titles(q="banana", created_before=since) == []
    assert titles(q="tart", sort="-id", page_size=1) == ["apple tart"]
