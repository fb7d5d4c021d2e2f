"""Job: check an uploaded object from its stored bytes and write the verdict back."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from app.extensions import db
from app.models import Upload
from app.services.uploads import transition
from app.storage import ObjectMissingError, get_storage
from app.storage.sniff import HEAD_BYTES, detect_type, image_size

log = logging.getLogger(__name__)


def process_upload(upload_id: int) -> str:
    """Check size and type (magic bytes) of upload UPLOAD_ID; return its new status."""
    upload = db.session.get(Upload, upload_id)
    if upload is None:
        log.warning("upload %s no longer exists", upload_id)
        return "missing"
    if upload.status != "processing":
        # Decided already (a retried job must not redo or undo it), or failed by the reaper
        # while this job waited: only /complete starts it again.
        return upload.status
    storage = get_storage()
    try:
        # Other StorageErrors (storage unreachable) propagate: RQ retries with backoff.
        head = storage.read_head(upload.key, HEAD_BYTES)
    except ObjectMissingError as exc:
        # Never uploaded (or already gone): nothing to check, and retrying will not help.
        log.info("upload %s has no object: %s", upload_id, exc)
        return _decide(upload, "rejected", {"reason": "The file was not uploaded."})
    detected = detect_type(head.head)
    details: dict[str, Any] = {"size": head.size, "detected_type": detected}
    dimensions = image_size(detected or "", head.head)
    if dimensions:
        details["width"], details["height"] = dimensions
    problem = _problem(upload, head.size, detected)
    if problem:
        details["reason"] = problem
        storage.delete(upload.key, head.version)  # refused content is not kept...
        storage.delete(upload.key)  # ...nor anything put under its key since
        log.info("upload %s rejected: %s", upload_id, problem)
        return _decide(upload, "rejected", details)
    log.info("upload %s processed", upload_id)
    return _decide(upload, "processed", details, size=head.size, object_version=head.version)


def _decide(upload: Upload, status: str, details: dict[str, Any], **values: Any) -> str:
    """Write the verdict if the upload is still processing; return the status it ends with."""
    if transition(upload.id, ["processing"], status, details=details, **values):
        return status
    db.session.refresh(upload)
    log.info("upload %s moved on to %s meanwhile; verdict dropped", upload.id, upload.status)
    return upload.status


def processing_failed(upload_id: int) -> None:
    """Final-failure hook: the job gave up, so let the client ask again instead of waiting."""
    reason = {"reason": "Processing failed; complete the upload again later."}
    transition(upload_id, ["processing"], "failed", details=reason)


def _problem(upload: Upload, size: int, detected: str | None) -> str | None:
    """Return why the stored object is refused, or None."""
    limit = current_app.config["SETTINGS"].uploads.max_size
    if size > limit:
        return f"The file is larger than the {limit}-byte limit."
    if size == 0:
        return "The file is empty."
    if detected != upload.content_type:
        return f"The content is {detected or 'of an unknown type'}, not {upload.content_type}."
    return None
