"""/api/v1/uploads: signed direct-to-bucket uploads, their processing and downloads."""

# flask-smorest ships no type hints; its decorators keep the signatures they wrap.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from typing import Any, ClassVar

from flask import request
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from app.api.blueprint import Blueprint
from app.api.content_type import require_json_body
from app.api.idempotency import IDEMPOTENCY_KEY_PARAMETER
from app.auth import current_actor, login_required_api
from app.extensions import db
from app.jobs.queue import JobsUnavailableError, enqueue
from app.jobs.uploads import process_upload
from app.models import Upload, User
from app.schemas.uploads import (
    CompletedSchema,
    SignedUploadSchema,
    UploadCreateSchema,
    UploadSchema,
)
from app.services import uploads as service

blp = Blueprint("uploads", __name__, description="Uploads: files posted straight to storage.")


@blp.before_request
def _json_bodies() -> None:
    """Refuse a non-JSON body on create; /complete takes no body at all."""
    if request.endpoint == "uploads.Uploads":
        require_json_body()


ERRORS = {"description": "Error: JSON {error, message, request_id, errors?}"}


def _actor() -> User:
    """Return the signed-in caller (the views are guarded by login_required_api)."""
    actor = current_actor()
    assert actor is not None
    return actor


def _with_download(upload: Upload) -> dict[str, Any]:
    """Return the upload's fields plus a short-lived download URL."""
    fields = ("id", "filename", "content_type", "size", "status", "details", "created_at")
    return {name: getattr(upload, name) for name in fields} | {
        "download_url": service.download_url(upload)
    }


@blp.route("")
class Uploads(MethodView):
    """The caller's uploads."""

    decorators: ClassVar = [login_required_api]

    @blp.response(200, UploadSchema(many=True))
    @blp.paginate(page_size=20, max_page_size=100)
    @blp.alt_response(401, **ERRORS)
    def get(self, pagination_parameters: PaginationParameters) -> list[Upload]:
        """List the caller's uploads, newest first."""
        rows, total = service.list_uploads(
            _actor(), pagination_parameters.page, pagination_parameters.page_size
        )
        pagination_parameters.item_count = total
        return rows

    @blp.arguments(UploadCreateSchema)
    @blp.response(201, SignedUploadSchema)
    @blp.alt_response(401, **ERRORS)
    @blp.alt_response(409, **ERRORS)
    @blp.alt_response(413, **ERRORS)
    @blp.alt_response(422, **ERRORS)
    @blp.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER])
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Start an upload: returns the URL and form fields to POST the file with."""
        upload, signed = service.create_upload(_actor(), **data)
        limits = service.upload_limits()
        return {
            "id": upload.id,
            "method": "POST",
            "url": signed.url,
            "fields_": signed.fields,
            "expires_in": limits.url_expiry,
            "max_size": limits.max_size,
        }


@blp.route("/<int:upload_id>")
class UploadById(MethodView):
    """One upload."""

    decorators: ClassVar = [login_required_api]

    @blp.response(200, UploadSchema)
    @blp.alt_response(401, **ERRORS)
    @blp.alt_response(403, **ERRORS)
    @blp.alt_response(404, **ERRORS)
    def get(self, upload_id: int) -> dict[str, Any]:
        """Return an upload with a short-lived download URL (owner or admin)."""
        return _with_download(service.get_upload(upload_id, _actor()))


@blp.route("/<int:upload_id>/complete")
class CompleteUpload(MethodView):
    """The browser says the file is in storage."""

    decorators: ClassVar = [login_required_api]

    @blp.response(202, CompletedSchema)
    @blp.alt_response(401, **ERRORS)
    @blp.alt_response(403, **ERRORS)
    @blp.alt_response(404, **ERRORS)
    @blp.alt_response(503, **ERRORS)
    def post(self, upload_id: int) -> dict[str, Any]:
        """Queue the check of the stored file (size and type from its bytes)."""
        upload = service.get_upload(upload_id, _actor())
        # Claimed before it is queued: the job then only ever moves it on from "processing".
        previous = service.claim_for_processing(upload)
        if previous is None:  # already processing or decided
            return {"id": upload.id, "status": upload.status, "job_id": ""}
        try:
            job = enqueue(process_upload, upload.id)
        except JobsUnavailableError:
            service.release_claim(upload, previous)
            raise
        db.session.refresh(upload)  # an inline job has decided already
        return {"id": upload.id, "status": upload.status, "job_id": job.id}
