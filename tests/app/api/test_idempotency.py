"""Idempotency-Key on writes, on a real PostgreSQL: done once, answered the same, per user."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from app_helpers import add_user, bearer_for
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.api.idempotency import HEADER, REPLAYED
from app.extensions import db
from app.models import IdempotencyRecord, Item
from app.models.base import utcnow

URL = "/api/v1/items"


def count(app: Flask, model: type[Item] | type[IdempotencyRecord]) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_same_write_sent_again_is_done_once_and_answered_the_same(
    pg_app: Flask, pg_client: FlaskClient, pg_owner: int
) -> None:
    first = pg_client.post(URL, json={"title": "once"}, headers={HEADER: "k-1"})
    again = pg_client.post(URL, json={"title": "once"}, headers={HEADER: "k-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers[REPLAYED] == "true"
    assert REPLAYED not in first.headers
    assert count(pg_app, Item) == 1


def test_a_key_used_for_a_different_request_is_422(
    pg_app: Flask, pg_client: FlaskClient, pg_owner: int
) -> None:
    assert pg_client.post(URL, json={"title": "a"}, headers={HEADER: "k-2"}).status_code == 201
    other = pg_client.post(URL, json={"title": "b"}, headers={HEADER: "k-2"})
    assert other.status_code == 422
    assert HEADER in other.get_json()["message"]
    assert count(pg_app, Item) == 1


def test_a_key_still_running_is_409(pg_app: Flask, pg_client: FlaskClient, pg_owner: int) -> None:
    # What a second request sees while the first holds the key: its record, no answer yet.
    first = pg_client.post(URL, json={"title": "slow"}, headers={HEADER: "k-3"})
    with pg_app.app_context():
        record = db.session.scalar(select(IdempotencyRecord))
        assert record is not None
        record.status = None
        db.session.commit()
    again = pg_client.post(URL, json={"title": "slow"}, headers={HEADER: "k-3"})
    assert first.status_code == 201
    assert again.status_code == 409
    assert "still being processed" in again.get_json()["message"]


@pytest.mark.parametrize("key", ["", "x" * 256, "two words", "nul\x01"])
def test_a_malformed_key_is_400_and_nothing_is_written(
    pg_app: Flask, pg_client: FlaskClient, pg_owner: int, key: str
) -> None:
    answer = pg_client.post(URL, json={"title": "bad key"}, headers={HEADER: key})
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "bad_request"
    assert count(pg_app, Item) == 0


def test_a_refused_write_leaves_its_key_free(
    pg_app: Flask, pg_client: FlaskClient, pg_owner: int
) -> None:
    assert pg_client.post(URL, json={"title": "taken"}).status_code == 201
    refused = pg_client.post(URL, json={"title": "taken"}, headers={HEADER: "k-4"})
    assert refused.status_code == 409  # the title is taken: the write did not happen
    assert count(pg_app, IdempotencyRecord) == 0
    fixed = pg_client.post(URL, json={"title": "taken"}, headers={HEADER: "k-4"})
    assert fixed.status_code == 409  # run again, not replayed
    assert REPLAYED not in fixed.headers


def test_keys_are_per_user(pg_app: Flask, pg_client: FlaskClient, pg_owner: int) -> None:
    other = bearer_for(pg_app, add_user(pg_app, "other@example.com"))
    mine = pg_client.post(URL, json={"title": "same key"}, headers={HEADER: "shared"})
    theirs = pg_client.post(URL, json={"title": "same key"}, headers={HEADER: "shared", **other})
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.get_json()["id"] != theirs.get_json()["id"]
    assert count(pg_app, Item) == 2


def test_a_change_sent_again_is_replayed(
    pg_app: Flask, pg_client: FlaskClient, pg_owner: int
) -> None:
    item = pg_client.post(URL, json={"title": "to change"}).get_json()
    change = {"body": "changed once"}
    first = pg_client.patch(f"{URL}/{item['id']}", json=change, headers={HEADER: "k-5"})
    again = pg_client.patch(f"{URL}/{item['id']}", json=change, headers={HEADER: "k-5"})
    assert again.headers[REPLAYED] == "true"
    assert again.get_json() == first.get_json()


def test_keys_older_than_a_day_are_forgotten(
    pg_app: Flask, pg_client: FlaskClient, pg_owner: int
) -> None:
    first = pg_client.post(URL, json={"title": "day one"}, headers={HEADER: "k-6"})
    assert first.status_code == 201
    with pg_app.app_context():
        record = db.session.scalar(select(IdempotencyRecord))
        assert record is not None
        record.created_at = utcnow() - timedelta(days=2)
        db.session.commit()
    later = pg_client.post(URL, json={"title": "day three"}, headers={HEADER: "k-6"})
    assert later.status_code == 201  # a new write: the old key was purged, not a 422
    assert count(pg_app, Item) == 2
    assert count(pg_app, IdempotencyRecord) == 1


def test_the_same_key_at_the_same_time_writes_once(
    pg_app: Flask, pg_client: FlaskClient, pg_owner: int
) -> None:
    auth = {"Authorization": pg_client.environ_base["HTTP_AUTHORIZATION"], HEADER: "k-7"}

    def send(_: int) -> int:
        answer = pg_app.test_client().post(URL, json={"title": "raced"}, headers=auth)
        return answer.status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(send, range(4)))
    assert count(pg_app, Item) == 1
    assert statuses[0] == 201
    assert set(statuses) <= {201, 409}


def test_without_a_key_nothing_changes(
    pg_app: Flask, pg_client: FlaskClient, pg_owner: int
) -> None:
    assert pg_client.post(URL, json={"title": "plain"}).status_code == 201
    assert pg_client.post(URL, json={"title": "plain"}).status_code == 409
    assert count(pg_app, IdempotencyRecord) == 0


def test_an_upload_declared_again_is_the_same_upload(
    pg_app: Flask, pg_client: FlaskClient, pg_owner: int
) -> None:
    declared = {"filename": "notes.txt", "content_type": "text/plain", "size": 5}
    first = pg_client.post("/api/v1/uploads", json=declared, headers={HEADER: "k-8"})
    again = pg_client.post("/api/v1/uploads", json=declared, headers={HEADER: "k-8"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers[REPLAYED] == "true"
