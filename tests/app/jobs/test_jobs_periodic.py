"""app/jobs/periodic.py: `flask uploads-reap` and the worker fail uploads stuck in processing."""

from __future__ import annotations

from datetime import timedelta

from app_helpers import add_user
from flask import Flask
from sqlalchemy import update

from app.extensions import db
from app.models import Upload
from app.models.base import utcnow
from app.worker import build_worker

STATUSES = ("processing", "pending", "processed", "rejected", "failed")


def uploads_aged(app: Flask, age: timedelta) -> dict[str, int]:
    """One upload per status, last changed AGE ago; return their ids by status (and fresh)."""
    owner = add_user(app, f"reap-{age.total_seconds():.0f}@example.com")
    with app.app_context():
        rows = {
            status: Upload(
                owner_id=owner,
                key=f"uploads/{owner}/{status}",
                filename="a.txt",
                content_type="text/plain",
                size=1,
                status=status,
                details={},
            )
            for status in (*STATUSES, "fresh")
        }
        rows["fresh"].status = "processing"
        db.session.add_all(rows.values())
        db.session.commit()
        old = [row.id for name, row in rows.items() if name != "fresh"]
        db.session.execute(
            update(Upload).where(Upload.id.in_(old)).values(updated_at=utcnow() - age)
        )
        db.session.commit()
        return {name: row.id for name, row in rows.items()}


def statuses(app: Flask, ids: dict[str, int]) -> dict[str, str]:
    with app.app_context():
        return {name: db.session.get(Upload, upload_id).status for name, upload_id in ids.items()}  # type: ignore[union-attr]


def test_uploads_reap_fails_only_uploads_stuck_in_processing(app: Flask) -> None:
    ids = uploads_aged(app, timedelta(hours=1))
    result = app.test_cli_runner().invoke(args=["uploads-reap"])
    assert result.exit_code == 0, result.output
    assert "1 stuck upload(s) failed" in result.output
    assert statuses(app, ids) == {
        "processing": "failed",  # its job was lost: /complete may start it again
        "pending": "pending",
        "processed": "processed",
        "rejected": "rejected",
        "failed": "failed",
        "fresh": "processing",  # still within UPLOAD_STUCK_SECONDS
    }
    with app.app_context():
        reaped = db.session.get(Upload, ids["processing"])
        assert reaped is not None
        assert reaped.details["reason"].startswith("Processing did not finish")
    again = app.test_cli_runner().invoke(args=["uploads-reap"])
    assert "0 stuck upload(s)" in again.output


def test_the_worker_reaps_between_jobs(redis_app: Flask) -> None:
    ids = uploads_aged(redis_app, timedelta(hours=1))
    build_worker(redis_app).run_maintenance_tasks()
    assert statuses(redis_app, ids)["processing"] == "failed"
    assert statuses(redis_app, ids)["fresh"] == "processing"
