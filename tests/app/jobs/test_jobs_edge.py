"""Edge cases of the jobs: vanished rows, repeated runs, oversize objects, queue outages."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_helpers import add_user, make_settings, service_port
from flask import Flask

from app import create_app
from app.extensions import db
from app.jobs import relay_outbox_now
from app.jobs.uploads import process_upload
from app.models import OutboxMessage, Upload, User
from app.services import outbox
from app.settings import UploadSettings


def upload_app(tmp_path: Path, max_size: int = 64) -> Flask:
    settings = make_settings().model_copy(
        update={"uploads": UploadSettings(max_size=max_size, local_dir=str(tmp_path))}
    )
    application = create_app(settings)
    with application.app_context():
        db.create_all()
    return application


def stored(app: Flask, data: bytes, content_type: str = "text/plain") -> int:
    """Create an upload row claimed by /complete and its stored object; return its id."""
    owner = add_user(app, f"edge{len(data)}@example.com")
    with app.app_context():
        upload = Upload(
            owner_id=owner,
            key=f"uploads/{owner}/x",
            filename="x.txt",
            content_type=content_type,
            size=len(data),
            status="processing",  # the job only ever moves a claimed upload on
            details={},
        )
        db.session.add(upload)
        db.session.commit()
        app.extensions["storage"].save(upload.key, content_type, [data])
        return upload.id


def test_missing_and_decided_uploads_are_left_alone(tmp_path: Path) -> None:
    app = upload_app(tmp_path)
    upload_id = stored(app, b"hello")
    with app.app_context():
        assert process_upload(999) == "missing"
        assert process_upload(upload_id) == "processed"
        assert process_upload(upload_id) == "processed"  # a retry does not redo the decision


def test_oversize_and_empty_objects_are_rejected(tmp_path: Path) -> None:
    app = upload_app(tmp_path, max_size=8)
    big = stored(app, b"far more than eight bytes")
    empty = stored(app, b"")
    with app.app_context():
        assert process_upload(big) == "rejected"
        assert "larger than the 8-byte limit" in db.session.get(Upload, big).details["reason"]
        assert process_upload(empty) == "rejected"
        assert db.session.get(Upload, empty).details["reason"] == "The file is empty."


def test_welcome_email_waits_in_the_outbox_when_redis_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(make_settings("sqlite://", f"redis://127.0.0.1:{service_port()}/0"))
    with app.test_request_context():
        db.create_all()
        db.session.add(User(id=5, email="x@example.com", name="x"))
        outbox.record("user_registered", user_id=5)
        db.session.commit()
        relay_outbox_now()
        message = db.session.scalars(db.select(OutboxMessage)).one()
        assert (message.relayed_at, message.attempts) == (None, 0)
    assert "outbox relay paused: jobs unavailable (1 message(s) wait)" in caplog.text


def test_unreachable_storage_raises_so_rq_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.storage import StorageError

    app = upload_app(tmp_path)
    upload_id = stored(app, b"hello")

    def unreachable(key: str, length: int) -> None:
        raise StorageError("cannot read: EndpointConnectionError")

    monkeypatch.setattr(app.extensions["storage"], "read_head", unreachable)
    with app.app_context():
        with pytest.raises(StorageError):
            process_upload(upload_id)
        assert db.session.get(Upload, upload_id).status == "processing"  # undecided, not rejected
