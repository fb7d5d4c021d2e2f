"""The local backend's signed endpoints: receive a form upload, serve a download."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request, send_file
from itsdangerous import BadSignature, SignatureExpired
from werkzeug.exceptions import BadRequest, Forbidden, NotFound, RequestEntityTooLarge

from app.storage.base import StorageError
from app.storage.local import DOWNLOAD_SALT, UPLOAD_SALT, LocalStorage

bp = Blueprint("local_storage", __name__, url_prefix="/api/v1/uploads/local-storage")

CHUNK = 64 * 1024
FORM_OVERHEAD = 16 * 1024  # multipart boundaries and the small text fields


def _storage() -> LocalStorage:
    storage = current_app.extensions["storage"]
    assert isinstance(storage, LocalStorage)
    return storage


def _policy(token: str, salt: str) -> dict[str, Any]:
    """Verify a signed token and its expiry (403 when tampered or expired)."""
    serializer = _storage().serializer(salt)
    try:
        unsafe = serializer.loads_unsafe(token)[1]
        ttl = int(unsafe["ttl"]) if isinstance(unsafe, dict) else 0
        policy: dict[str, Any] = serializer.loads(token, max_age=max(ttl, 1))
    except SignatureExpired:
        raise Forbidden("The signed URL has expired.") from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise Forbidden("The signed URL is invalid.") from None
    return policy


@bp.post("/<token>")
def receive(token: str) -> Response:
    """Store a form upload that matches its signed policy (key, type, size)."""
    policy = _policy(token, UPLOAD_SALT)
    max_size = int(policy["max_size"])
    # Checked before the body is parsed: an oversize body is refused without being read.
    request.max_content_length = max_size + FORM_OVERHEAD
    if request.content_length is not None and request.content_length > max_size + FORM_OVERHEAD:
        raise RequestEntityTooLarge("The file is larger than the signed policy allows.")
    if request.form.get("key") != policy["key"]:
        raise Forbidden("The key does not match the signed policy.")
    if request.form.get("Content-Type") != policy["content_type"]:
        raise Forbidden("The content type does not match the signed policy.")
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest("Send the file in a form field named 'file'.")
    chunks, size = [], 0
    while chunk := upload.stream.read(CHUNK):
        size += len(chunk)
        if size > max_size:
            raise RequestEntityTooLarge("The file is larger than the signed policy allows.")
        chunks.append(chunk)
    if size == 0:
        raise BadRequest("The file is empty.")
    _storage().save(policy["key"], policy["content_type"], chunks)
    return Response(status=204)


@bp.get("/<token>")
def download(token: str) -> Response:
    """Serve the object named by a signed download token as an attachment."""
    policy = _policy(token, DOWNLOAD_SALT)
    storage = _storage()
    try:
        path = storage.path(policy["key"])
    except StorageError:
        raise NotFound("No such object.") from None
    if not path.is_file():
        raise NotFound("No such object.")
    response = send_file(
        path,
        mimetype=storage.content_type(policy.get("type_of", policy["key"])),
        as_attachment=True,
        download_name=policy["filename"],
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
