"""Presigned uploads and downloads against a real SeaweedFS S3 server that checks SigV4."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import requests
from app_helpers import add_user, bearer_for, make_settings, png, service_port
from flask import Flask

from app import create_app
from app.extensions import db
from app.settings import S3Settings, UploadSettings
from app.storage import ObjectMissingError, StorageError
from app.storage.s3 import S3Storage
from tests.support.seaweed import BUCKET, S3_APP, SeaweedServer

MAX = 2048


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's credentials come from the environment, as on a real deployment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_APP[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_APP[1])


def s3_app(seaweed: SeaweedServer, expiry: int = 300) -> Flask:
    settings = make_settings().model_copy(
        update={
            "s3": S3Settings(endpoint_url=seaweed.endpoint, bucket=BUCKET, region="us-east-1"),
            "uploads": UploadSettings(max_size=MAX, url_expiry=expiry, download_expiry=60),
        }
    )
    application = create_app(settings)
    with application.app_context():
        db.create_all()
    return application


def sign(app: Flask, content_type: str = "image/png") -> tuple[dict[str, str], dict[str, Any]]:
    """Ask the API for a signed upload; return (auth header, the answer)."""
    auth = bearer_for(app, add_user(app, f"s3-{time.monotonic_ns()}@example.com"))
    response = app.test_client().post(
        "/api/v1/uploads",
        json={"filename": "photo.png", "content_type": content_type, "size": 100},
        headers=auth,
    )
    assert response.status_code == 201, response.get_json()
    return auth, response.get_json()


def browser_post(signed: dict[str, Any], data: bytes, **overrides: str) -> requests.Response:
    """POST the form straight to the bucket, as the browser does."""
    fields = {**signed["fields"], **overrides}
    return requests.post(
        signed["url"], data=fields, files={"file": ("photo.png", data)}, timeout=10
    )


@pytest.mark.usefixtures("s3_env")
def test_presigned_upload_process_and_download(seaweed: SeaweedServer) -> None:
    app = s3_app(seaweed)
    auth, signed = sign(app)
    assert signed["url"].startswith(seaweed.endpoint)
    assert signed["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    uploaded = browser_post(signed, png())
    assert uploaded.status_code == 204, uploaded.text

    client = app.test_client()
    assert client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth).status_code == 202
    shown = client.get(f"/api/v1/uploads/{signed['id']}", headers=auth).get_json()
    assert shown["status"] == "processed"
    assert shown["metadata"]["detected_type"] == "image/png"
    download = requests.get(shown["download_url"], timeout=10)
    assert download.status_code == 200
    assert download.content == png()
    assert download.headers["Content-Disposition"] == "attachment; filename*=UTF-8''photo.png"

    # The bucket is private: the same object without a signature is refused.
    key = signed["fields"]["key"]
    assert requests.get(f"{seaweed.endpoint}/{BUCKET}/{key}", timeout=10).status_code == 403


@pytest.mark.usefixtures("s3_env")
def test_bytes_put_again_with_the_signed_form_are_never_served(seaweed: SeaweedServer) -> None:
    app = s3_app(seaweed)
    auth, signed = sign(app)
    assert browser_post(signed, png()).status_code == 204
    client = app.test_client()
    assert client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth).status_code == 202
    # The form is still valid (UPLOAD_URL_EXPIRY): other bytes of the declared type replace the
    # object after it was checked.
    evil = b"\x89PNG\r\n\x1a\n<script>alert(1)</script>"
    assert browser_post(signed, evil).status_code == 204
    shown = client.get(f"/api/v1/uploads/{signed['id']}", headers=auth).get_json()
    assert shown["status"] == "processed"
    download = requests.get(shown["download_url"], timeout=10)
    assert download.status_code == 200
    assert download.content == png()  # the version that was verified


@pytest.mark.usefixtures("s3_env")
def test_rejected_bytes_are_deleted_whatever_their_version(seaweed: SeaweedServer) -> None:
    app = s3_app(seaweed)
    auth, signed = sign(app)
    assert browser_post(signed, b"not a png at all").status_code == 204
    client = app.test_client()
    client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth)
    shown = client.get(f"/api/v1/uploads/{signed['id']}", headers=auth).get_json()
    assert shown["status"] == "rejected"
    versions = seaweed.client().list_object_versions(Bucket=BUCKET, Prefix=signed["fields"]["key"])
    assert versions.get("Versions", []) == []  # only a delete marker may remain


@pytest.mark.usefixtures("s3_env")
def test_oversize_and_wrong_type_are_refused_by_the_bucket(seaweed: SeaweedServer) -> None:
    app = s3_app(seaweed)
    _, signed = sign(app)
    too_big = browser_post(signed, b"\x89PNG\r\n\x1a\n" + b"x" * MAX)
    assert too_big.status_code in (400, 403), too_big.text
    assert "EntityTooLarge" in too_big.text or "content-length" in too_big.text.lower()
    wrong_type = browser_post(signed, png(), **{"Content-Type": "text/html"})
    assert wrong_type.status_code == 403, wrong_type.text


@pytest.mark.usefixtures("s3_env")
def test_expired_upload_url_is_refused(seaweed: SeaweedServer) -> None:
    app = s3_app(seaweed, expiry=1)
    _, signed = sign(app)
    time.sleep(2.5)
    expired = browser_post(signed, png())
    assert expired.status_code == 403, expired.text


@pytest.mark.usefixtures("s3_env")
def test_tampered_policy_and_url_are_refused(seaweed: SeaweedServer) -> None:
    app = s3_app(seaweed)
    _, signed = sign(app)
    policy = json.loads(base64.b64decode(signed["fields"]["policy"]))
    for condition in policy["conditions"]:
        if isinstance(condition, list) and condition[0] == "content-length-range":
            condition[2] = 10 * 1024 * 1024  # try to lift the size limit
    forged = base64.b64encode(json.dumps(policy).encode()).decode()
    refused = browser_post(signed, png(), policy=forged)
    assert refused.status_code == 403, refused.text
    assert "SignatureDoesNotMatch" in refused.text

    other_key = browser_post(signed, png(), key=signed["fields"]["key"] + "-other")
    assert other_key.status_code == 403, other_key.text

    with app.test_request_context():
        url = app.extensions["storage"].presign_get(signed["fields"]["key"], "a.png", 60)
    assert (
        requests.get(url.replace("X-Amz-Expires=60", "X-Amz-Expires=6000"), timeout=10).status_code
        == 403
    )


def test_wrong_credentials_are_refused(
    seaweed: SeaweedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_APP[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    app = s3_app(seaweed)
    _, signed = sign(app)
    assert browser_post(signed, png()).status_code == 403
    storage = S3Storage(S3Settings(endpoint_url=seaweed.endpoint, bucket=BUCKET))
    with pytest.raises(StorageError):
        storage.read_head("uploads/nothing", 16)


@pytest.mark.usefixtures("s3_env")
def test_missing_empty_and_unreachable_objects(seaweed: SeaweedServer) -> None:
    storage = S3Storage(S3Settings(endpoint_url=seaweed.endpoint, bucket=BUCKET))
    storage.check()
    with pytest.raises(ObjectMissingError):
        storage.read_head("uploads/never-there", 16)
    storage.client.put_object(Bucket=BUCKET, Key="uploads/empty", Body=b"")
    assert storage.read_head("uploads/empty", 16).size == 0
    storage.delete("uploads/empty")
    storage.delete("uploads/never-there")  # deleting a missing key is fine in S3

    down = S3Storage(S3Settings(endpoint_url=f"http://127.0.0.1:{service_port()}", bucket=BUCKET))
    with pytest.raises(StorageError) as caught:
        down.read_head("uploads/any", 16)
    assert not isinstance(caught.value, ObjectMissingError)  # transient: the job retries
    with pytest.raises(StorageError):
        down.delete("uploads/any")
