"""Upload use cases: issue a signed upload, complete it, look it up, list them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Upload, User
from app.models.base import utcnow
from app.security.filenames import sanitize_filename
from app.services.errors import NotFoundError, ServiceError
from app.services.items import MAX_ID
from app.settings import Settings, UploadSettings
from app.storage import SignedPost, get_storage


class UnsupportedTypeError(ServiceError):
    """The declared content type is not accepted."""

    status = 422
    code = "unsupported_media_type"


class TooLargeError(ServiceError):
    """The declared size is over the limit."""

    status = 413
    code = "payload_too_large"


class ForbiddenError(ServiceError):
    """The caller may not see this upload."""

    status = 403
    code = "forbidden"


def _settings() -> Settings:
    return current_app.config["SETTINGS"]  # type: ignore[no-any-return]


def upload_limits() -> UploadSettings:
    """Return the configured upload limits."""
    return _settings().uploads


def new_key(owner_id: int) -> str:
    """Return a fresh object key; the client's file name never appears in it."""
    today = datetime.now(UTC).strftime("%Y/%m/%d")
    return f"uploads/{owner_id}/{today}/{uuid.uuid4().hex}"


def create_upload(
    owner: User, filename: str, content_type: str, size: int
) -> tuple[Upload, SignedPost]:
    """Record a pending upload and sign the form the browser posts to storage."""
    limits = _settings().uploads
    content_type = content_type.strip().lower()
    if content_type not in limits.types:
        raise UnsupportedTypeError(
            f"Content type {content_type!r} is not accepted; allowed: "
            + ", ".join(sorted(limits.types)),
            errors={"json": {"content_type": ["Not an accepted type."]}},
        )
    if size > limits.max_size:
        raise TooLargeError(f"The file is larger than the {limits.max_size}-byte limit.")
    upload = Upload(
        owner_id=owner.id,
        key=new_key(owner.id),
        filename=sanitize_filename(filename),
        content_type=content_type,
        size=size,
        status="pending",
        details={},
    )
    db.session.add(upload)
    db.session.commit()
    signed = get_storage().presign_post(
        upload.key, content_type, limits.max_size, limits.url_expiry
    )
    return upload, signed


def get_upload(upload_id: int, actor: User) -> Upload:
    """Return the upload if ACTOR owns it or is an admin."""
    # Ids beyond the integer column cannot exist (and would overflow the driver).
    upload = db.session.get(Upload, upload_id) if 0 < upload_id <= MAX_ID else None
    if upload is None:
        raise NotFoundError(f"Upload {upload_id} does not exist.")
    if upload.owner_id != actor.id and not actor.is_admin:
        raise ForbiddenError("Only the owner or an admin may see this upload.")
    return upload


def download_url(upload: Upload) -> str | None:
    """Return a short-lived signed download URL of the version of a processed upload verified."""
    if upload.status != "processed":
        return None
    expiry = _settings().uploads.download_expiry
    return get_storage().presign_get(upload.key, upload.filename, expiry, upload.object_version)


def list_uploads(owner: User, page: int, page_size: int) -> tuple[list[Upload], int]:
    """Return one page of OWNER's uploads, newest first, and the total."""
    where = Upload.owner_id == owner.id
    total = db.session.scalar(select(func.count(Upload.id)).where(where)) or 0
    rows = db.session.scalars(
        select(Upload)
        .where(where)
        .order_by(Upload.created_at.desc(), Upload.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return list(rows), total


# Where /complete may (re)start processing from; the job alone leaves "processing".
COMPLETABLE = ("pending", "failed")
STUCK_REASON = "Processing did not finish; complete the upload again."


def transition(upload_id: int, sources: Iterable[str], target: str, **values: Any) -> bool:
    """Move the upload from one of SOURCES to TARGET in one conditional UPDATE.

    Returns False, changing nothing, when the row was not in SOURCES any more: whoever moved it
    first (the worker, the reaper, another /complete) wins, never the one holding a stale copy.
    """
    result = db.session.execute(
        update(Upload)
        .where(Upload.id == upload_id, Upload.status.in_(list(sources)))
        .values(status=target, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def claim_for_processing(upload: Upload) -> str | None:
    """Mark UPLOAD processing if /complete may start it; return the status it left, or None."""
    previous = upload.status
    claimed = previous in COMPLETABLE and transition(upload.id, [previous], "processing")
    db.session.refresh(upload)
    return previous if claimed else None


def release_claim(upload: Upload, previous: str) -> None:
    """Undo claim_for_processing when the job could not be queued (unless it moved on)."""
    transition(upload.id, ["processing"], previous)
    db.session.refresh(upload)


def reap_stuck(older_than: timedelta) -> int:
    """Fail uploads left processing longer than OLDER_THAN (their job died): /complete again."""
    result = db.session.execute(
        update(Upload)
        .where(Upload.status == "processing", Upload.updated_at < utcnow() - older_than)
        .values(status="failed", updated_at=utcnow(), details={"reason": STUCK_REASON})
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
