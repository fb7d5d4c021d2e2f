"""/api/v1/uploads with the local storage backend: the signed form flow end to end."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from app_helpers import add_user, bearer_for, make_settings, own_redis, png
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db
from app.jobs.queue import JobsUnavailableError, enqueue
from app.jobs.uploads import process_upload
from app.models import Upload
from app.settings import UploadSettings
from tests.support.redis_server import RedisServer

MAX = 4096


def uploads_app(tmp_path: Path, redis_url: str = "", expiry: int = 300) -> Flask:
    """An app storing uploads under TMP_PATH, with a small size limit."""
    settings = make_settings("sqlite://", redis_url).model_copy(
        update={
            "uploads": UploadSettings(
                max_size=MAX, local_dir=str(tmp_path / "objects"), url_expiry=expiry
            )
        }
    )
    application = create_app(settings)
    with application.app_context():
        db.create_all()
    return application


@pytest.fixture
def up_app(tmp_path: Path) -> Flask:
    return uploads_app(tmp_path)


def start_upload(
    client: FlaskClient, headers: dict[str, str], **overrides: object
) -> tuple[int, dict]:
    body = {"filename": "../../etc/My Photo?.png", "content_type": "image/png", "size": 100}
    response = client.post("/api/v1/uploads", json=body | overrides, headers=headers)
    return response.status_code, response.get_json()


def post_form(client: FlaskClient, signed: dict, data: bytes, **field_overrides: str) -> int:
    """POST the file as a browser would, to the signed URL with the signed fields."""
    url = urlsplit(signed["url"])
    form: dict[str, object] = {**signed["fields"], **field_overrides}
    form["file"] = (io.BytesIO(data), "ignored-name.png")
    response = client.post(f"{url.path}", data=form, content_type="multipart/form-data")
    return response.status_code


def test_upload_flow_end_to_end(up_app: Flask, tmp_path: Path) -> None:
    client = up_app.test_client()
    user = add_user(up_app)
    auth = bearer_for(up_app, user)
    status, signed = start_upload(client, auth)
    assert status == 201, signed
    assert signed["method"] == "POST"
    assert signed["max_size"] == MAX
    assert signed["expires_in"] == 300
    key = signed["fields"]["key"]
    assert key.startswith(f"uploads/{user}/")
    assert "Photo" not in key  # the client's name never reaches the key
    assert post_form(client, signed, png()) == 204

    completed = client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth)
    assert completed.status_code == 202
    assert completed.get_json()["status"] == "processed"  # eager: no Redis configured

    shown = client.get(f"/api/v1/uploads/{signed['id']}", headers=auth).get_json()
    assert shown["filename"] == "My Photo_.png"
    assert shown["status"] == "processed"
    assert shown["metadata"] == {
        "size": len(png()),
        "detected_type": "image/png",
        "width": 3,
        "height": 2,
    }
    download = client.get(urlsplit(shown["download_url"]).path)
    assert download.status_code == 200
    assert download.data == png()
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    listed = client.get("/api/v1/uploads", headers=auth)
    assert [u["id"] for u in listed.get_json()] == [signed["id"]]
    assert "X-Pagination" in listed.headers


def test_bytes_put_again_with_the_signed_form_are_never_served(up_app: Flask) -> None:
    client = up_app.test_client()
    auth = bearer_for(up_app, add_user(up_app))
    _, signed = start_upload(client, auth)
    assert post_form(client, signed, png()) == 204
    assert client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth).status_code == 202
    assert post_form(client, signed, b"\x89PNG\r\n\x1a\n<script>") == 204  # form still valid
    shown = client.get(f"/api/v1/uploads/{signed['id']}", headers=auth).get_json()
    assert shown["status"] == "processed"
    download = client.get(urlsplit(shown["download_url"]).path)
    assert download.status_code == 200
    assert download.data == png()  # the bytes that were verified
    assert download.headers["Content-Type"] == "image/png"


def test_refuses_types_and_sizes_up_front(up_app: Flask) -> None:
    client = up_app.test_client()
    auth = bearer_for(up_app, add_user(up_app))
    status, body = start_upload(client, auth, content_type="application/x-msdownload")
    assert (status, body["error"]) == (422, "unsupported_media_type")
    status, body = start_upload(client, auth, size=MAX + 1)
    assert (status, body["error"]) == (413, "payload_too_large")
    status, body = start_upload(client, auth, size=0)
    assert status == 422
    status, body = start_upload(client, auth, filename="x\x00y")
    assert status == 422
    response = client.post("/api/v1/uploads", data="nope", headers=auth)
    assert response.status_code == 415


def test_local_endpoint_enforces_the_signed_policy(up_app: Flask) -> None:
    client = up_app.test_client()
    auth = bearer_for(up_app, add_user(up_app))
    _, signed = start_upload(client, auth)
    assert post_form(client, signed, b"x" * (MAX + 1)) == 413  # oversize
    assert post_form(client, signed, png(), **{"Content-Type": "text/html"}) == 403  # wrong type
    assert post_form(client, signed, png(), key="uploads/1/someone-else") == 403  # other key
    assert post_form(client, signed, b"") == 400
    tampered = dict(signed, url=signed["url"][:-3] + "abc")
    assert post_form(client, tampered, png()) == 403
    response = client.post(urlsplit(signed["url"]).path, data={"key": "k"})
    assert response.status_code in (400, 403)
    assert response.get_json()["error"]


def test_expired_upload_url_is_refused(tmp_path: Path) -> None:
    app = uploads_app(tmp_path, expiry=1)
    client = app.test_client()
    _, signed = start_upload(client, bearer_for(app, add_user(app)))
    time.sleep(2.1)
    assert post_form(client, signed, png()) == 403


def test_content_not_matching_its_declared_type_is_rejected(up_app: Flask, tmp_path: Path) -> None:
    client = up_app.test_client()
    auth = bearer_for(up_app, add_user(up_app))
    _, signed = start_upload(client, auth)
    assert post_form(client, signed, b"<script>alert(1)</script>") == 204
    client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth)
    shown = client.get(f"/api/v1/uploads/{signed['id']}", headers=auth).get_json()
    assert shown["status"] == "rejected"
    assert shown["metadata"]["reason"] == "The content is text/plain, not image/png."
    assert shown["download_url"] is None
    assert not [path for path in (tmp_path / "objects").rglob("*") if path.is_file()]  # deleted


def test_never_uploaded_is_rejected(up_app: Flask) -> None:
    client = up_app.test_client()
    auth = bearer_for(up_app, add_user(up_app))
    _, signed = start_upload(client, auth)
    body = client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth).get_json()
    assert body["status"] == "rejected"
    again = client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth)
    assert (again.status_code, again.get_json()["status"]) == (202, "rejected")


def test_owners_and_admins_only(up_app: Flask) -> None:
    client = up_app.test_client()
    owner = bearer_for(up_app, add_user(up_app, "owner@example.com"))
    stranger = bearer_for(up_app, add_user(up_app, "stranger@example.com"))
    admin = bearer_for(up_app, add_user(up_app, "admin@example.com", admin=True))
    _, signed = start_upload(client, owner)
    path = f"/api/v1/uploads/{signed['id']}"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=stranger).status_code == 403
    assert client.post(f"{path}/complete", headers=stranger).status_code == 403
    assert client.get(path, headers=admin).status_code == 200
    assert client.get("/api/v1/uploads/999", headers=owner).status_code == 404
    assert client.get("/api/v1/uploads", headers=stranger).get_json() == []
    assert client.post("/api/v1/uploads", json={}).status_code == 401


def test_download_token_is_checked(up_app: Flask) -> None:
    client = up_app.test_client()
    assert client.get("/api/v1/uploads/local-storage/forged").status_code == 403
    with up_app.test_request_context():
        storage = up_app.extensions["storage"]
        url = storage.presign_get("uploads/1/missing", "a.txt", 60)
        traversal = storage.presign_get("../../etc/passwd", "p", 60)
    assert client.get(urlsplit(url).path).status_code == 404
    assert client.get(urlsplit(traversal).path).status_code == 404


@pytest.fixture
def redis_to_stop() -> Iterator[RedisServer]:
    """A Redis this test stops."""
    yield from own_redis()


def test_complete_with_redis_down_is_a_quick_503(
    tmp_path: Path, redis_to_stop: RedisServer
) -> None:
    app = uploads_app(tmp_path, redis_to_stop.url)
    client = app.test_client()
    user = add_user(app)
    auth = bearer_for(app, user)
    _, signed = start_upload(client, auth)
    assert post_form(client, signed, png()) == 204
    redis_to_stop.stop()
    started = time.monotonic()
    response = client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth)
    assert time.monotonic() - started < 3
    # 503 either from the token check (revocations live in Redis) or from the enqueue.
    assert response.status_code == 503
    assert response.get_json()["error"] == "service_unavailable"
    with app.test_request_context():
        started = time.monotonic()
        with pytest.raises(JobsUnavailableError) as caught:
            enqueue(process_upload, signed["id"])
        assert time.monotonic() - started < 3
        answer = app.make_response(app.handle_user_exception(caught.value))
        body, status = answer.get_json(), answer.status_code
    assert (status, body["error"]) == (503, "service_unavailable")
    assert body["message"] == "Background jobs are unavailable right now; retry shortly."
    with app.app_context():
        assert db.session.get(Upload, signed["id"]).status == "pending"  # the client may retry
    redis_to_stop.start()
    retried = client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth)
    assert (retried.status_code, retried.get_json()["status"]) == (202, "processing")


def test_absurd_ids_are_404(up_app: Flask) -> None:
    client = up_app.test_client()
    auth = bearer_for(up_app, add_user(up_app))
    for upload_id in (0, 2**31, 2**80):
        assert client.get(f"/api/v1/uploads/{upload_id}", headers=auth).status_code == 404
        assert client.post(f"/api/v1/uploads/{upload_id}/complete", headers=auth).status_code == 404
