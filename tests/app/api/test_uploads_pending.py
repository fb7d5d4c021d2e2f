"""GET /api/v1/uploads/<id> of a declared, never stored upload: PostgreSQL, Redis, SeaweedFS S3.

The load users' exact calls (register, token, probe, declare, read back) once answered 500:
the view dumped the upload with UploadSchema and flask-smorest dumped that dict again, so
created_at reached the DateTime field as a string.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from app_helpers import empty_database, make_settings
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.settings import S3Settings
from app.storage.s3 import S3Storage
from tests.support.redis_server import RedisServer
from tests.support.seaweed import BUCKET, S3_APP, SeaweedServer

DECLARED = {"filename": "load.txt", "content_type": "text/plain", "size": 18}
PASSWORD = "pending-upload-test-password-0123"  # a throwaway test account


@pytest.fixture
def s3_pg_app(
    pg_migrated: str,
    redis_server: RedisServer,
    seaweed: SeaweedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Flask]:
    """The app as the stack runs it: PostgreSQL, Redis (cache, revocations) and S3 storage."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_APP[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_APP[1])
    settings = make_settings(pg_migrated, redis_server.url).model_copy(
        update={"s3": S3Settings(endpoint_url=seaweed.endpoint, bucket=BUCKET, region="us-east-1")}
    )
    application = create_app(settings)
    assert isinstance(application.extensions["storage"], S3Storage)
    yield application
    empty_database(application)
    application.extensions["redis_client"].get().flushdb()


def sign_in_as_load_user(client: FlaskClient) -> dict[str, str]:
    """Register and sign in the way loadtests.session does; return the bearer header."""
    creds = {"email": "loadtest@example.com", "password": PASSWORD}
    assert client.post("/api/v1/auth/token", json=creds).status_code == 401
    assert (
        client.post("/api/v1/auth/register", json={**creds, "name": "Load test"}).status_code == 201
    )
    token = client.post("/api/v1/auth/token", json=creds)
    assert token.status_code == 200, token.get_json()
    auth = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
    assert client.get("/api/v1/uploads", headers=auth).status_code == 200  # the feature probe
    return auth


def declare_and_read_back(app: Flask, auth: dict[str, str]) -> None:
    """Declare an upload, never store its file, and read it back by id."""
    client = app.test_client()
    declared = client.post("/api/v1/uploads", json=DECLARED, headers=auth)
    assert declared.status_code == 201, declared.get_json()
    upload_id = declared.get_json()["id"]
    shown = client.get(f"/api/v1/uploads/{upload_id}", headers=auth)
    assert shown.status_code == 200, shown.get_json()
    body = shown.get_json()
    created = body.pop("created_at")
    assert datetime.fromisoformat(created).tzinfo is not None
    assert body == {
        "id": upload_id,
        "filename": "load.txt",
        "content_type": "text/plain",
        "size": 18,
        "status": "pending",
        "metadata": {},
        "download_url": None,
    }


def test_declared_but_never_stored_upload_reads_back_as_pending(s3_pg_app: Flask) -> None:
    auth = sign_in_as_load_user(s3_pg_app.test_client())
    declare_and_read_back(s3_pg_app, auth)


def test_concurrent_load_users_read_their_pending_uploads(s3_pg_app: Flask) -> None:
    # As under locust: one shared account, several gthread-style threads at once.
    auth = sign_in_as_load_user(s3_pg_app.test_client())
    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(declare_and_read_back, s3_pg_app, auth) for _ in range(8)]:
            future.result()
