"""Uploads on PostgreSQL with a real RQ worker: queued on /complete, processed by the worker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_helpers import add_user, bearer_for, make_settings
from flask import Flask
from rq import Queue
from sqlalchemy import text
from test_uploads_api import MAX, post_form

from app import create_app
from app.extensions import db
from app.jobs.uploads import process_upload
from app.settings import UploadSettings
from app.storage import StorageError
from app.worker import build_worker
from tests.support.redis_server import RedisServer


@pytest.fixture
def pg_uploads_app(pg_migrated: str, redis_server: RedisServer, tmp_path: Path) -> Iterator[Flask]:
    settings = make_settings(pg_migrated, redis_server.url).model_copy(
        update={"uploads": UploadSettings(max_size=MAX, local_dir=str(tmp_path / "objects"))}
    )
    application = create_app(settings)
    yield application
    with application.app_context():
        db.session.remove()
        db.session.execute(text("TRUNCATE uploads, users RESTART IDENTITY CASCADE"))
        db.session.commit()
        db.engine.dispose()
    application.extensions["redis_client"].get().flushdb()


def stored_upload(
    app: Flask, filename: str, data: bytes, declared_size: int = 5
) -> tuple[dict[str, str], dict[str, Any]]:
    """Declare a text upload for a new user and store DATA; return the bearer and the answer."""
    client = app.test_client()
    auth = bearer_for(app, add_user(app, f"{filename}@example.com"))
    declared = {"filename": filename, "content_type": "text/plain", "size": declared_size}
    signed = client.post("/api/v1/uploads", json=declared, headers=auth).get_json()
    assert post_form(client, signed, data) == 204
    return auth, signed


def test_upload_is_processed_by_the_worker(pg_uploads_app: Flask) -> None:
    app = pg_uploads_app
    client = app.test_client()
    auth, signed = stored_upload(app, "notes.txt", "héllo wörld\n".encode(), declared_size=12)
    completed = client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth)
    assert completed.status_code == 202
    body = completed.get_json()
    assert body["status"] == "processing"
    assert body["job_id"]
    again = client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth).get_json()
    assert (again["status"], again["job_id"]) == ("processing", "")  # not queued twice

    assert build_worker(app).work(burst=True)
    shown = client.get(f"/api/v1/uploads/{signed['id']}", headers=auth).get_json()
    assert shown["status"] == "processed"
    assert shown["metadata"] == {"size": 14, "detected_type": "text/plain"}
    assert shown["size"] == 14


def test_storage_outage_ends_in_failed_then_can_be_completed_again(
    pg_uploads_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pg_uploads_app
    app.config["SETTINGS"].worker.max_retries = 0  # the first failure is the last
    client = app.test_client()
    auth, signed = stored_upload(app, "a.txt", b"hello")

    def unreachable(key: str, length: int) -> None:
        raise StorageError("cannot read: EndpointConnectionError")

    storage = app.extensions["storage"]
    monkeypatch.setattr(storage, "read_head", unreachable)  # inherited by the forked work horse
    assert client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth).status_code == 202
    build_worker(app).work(burst=True)
    shown = client.get(f"/api/v1/uploads/{signed['id']}", headers=auth).get_json()
    assert shown["status"] == "failed"
    assert shown["metadata"]["reason"].startswith("Processing failed")

    monkeypatch.undo()  # storage is back
    again = client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth).get_json()
    assert again["status"] == "processing"
    build_worker(app).work(burst=True)
    assert (
        client.get(f"/api/v1/uploads/{signed['id']}", headers=auth).get_json()["status"]
        == "processed"
    )


def test_a_fast_workers_verdict_is_never_overwritten_by_complete(
    pg_uploads_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pg_uploads_app
    client = app.test_client()
    auth, signed = stored_upload(app, "fast.txt", b"hello")
    enqueue = Queue.enqueue

    def enqueue_then_a_worker_runs_it(queue: Queue, func: Any, *args: Any, **kwargs: Any) -> Any:
        job = enqueue(queue, func, *args, **kwargs)

        def work() -> None:  # another process would use another connection: so does the thread
            with app.app_context():
                assert process_upload(*args) == "processed"

        worker = threading.Thread(target=work)
        worker.start()
        worker.join(30)
        return job

    monkeypatch.setattr(Queue, "enqueue", enqueue_then_a_worker_runs_it)
    completed = client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth)
    assert completed.status_code == 202
    assert completed.get_json()["status"] == "processed"
    shown = client.get(f"/api/v1/uploads/{signed['id']}", headers=auth).get_json()
    assert shown["status"] == "processed"  # not "processing" for ever
    assert shown["download_url"]


def test_complete_twice_at_once_queues_one_job(pg_uploads_app: Flask) -> None:
    app = pg_uploads_app
    auth, signed = stored_upload(app, "twice.txt", b"hello")
    barrier = threading.Barrier(4)
    answers: list[dict[str, str]] = []

    def complete() -> None:
        client = app.test_client()
        barrier.wait()
        answers.append(
            client.post(f"/api/v1/uploads/{signed['id']}/complete", headers=auth).get_json()
        )

    threads = [threading.Thread(target=complete) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len([a for a in answers if a["job_id"]]) == 1
    assert {a["status"] for a in answers} == {"processing"}
