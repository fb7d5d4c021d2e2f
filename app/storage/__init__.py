"""Object storage for uploads: S3 (presigned URLs) or local files in development."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app

from app.health.checks import register_check
from app.security.keys import STORAGE, keys_for
from app.settings import Settings
from app.storage.base import ObjectHead, ObjectMissingError, SignedPost, Storage, StorageError
from app.storage.local import LocalStorage
from app.storage.s3 import S3Storage
from app.storage.views import bp as local_storage_bp

__all__ = [
    "ObjectHead",
    "ObjectMissingError",
    "SignedPost",
    "Storage",
    "StorageError",
    "get_storage",
    "init_storage",
]

log = logging.getLogger(__name__)


def get_storage() -> Storage:
    """Return the current app's storage backend."""
    return current_app.extensions["storage"]  # type: ignore[no-any-return]


def init_storage(app: Flask, settings: Settings) -> None:
    """Pick the backend: S3 when S3_BUCKET is set, else local files (+ their endpoints)."""
    storage: Storage
    if settings.s3.bucket:
        storage = S3Storage(settings.s3)
        # Optional: S3 trouble degrades uploads only, it must not take every pod out of service.
        register_check(app, "s3", storage.check, required=False)
    else:
        root = Path(settings.uploads.local_dir)
        if not root.is_absolute():
            root = Path(app.root_path).parent / root
        storage = LocalStorage(root, keys_for(settings, STORAGE).oldest_first)
        if settings.is_production:
            log.warning("S3_BUCKET is not set: uploads are stored on the local disk")
        app.register_blueprint(local_storage_bp)
    app.extensions["storage"] = storage
