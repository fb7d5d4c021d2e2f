"""S3 storage: presigned POST/GET with SigV4; credentials from the environment or the role."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.settings import S3Settings
from app.storage.base import ObjectHead, ObjectMissingError, SignedPost, StorageError

log = logging.getLogger(__name__)
# What S3-compatible servers answer for a key that does not exist.
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def make_client(settings: S3Settings) -> Any:
    """Return a boto3 S3 client: SigV4, path-style for custom endpoints, bounded timeouts."""
    addressing = "path" if settings.endpoint_url else "auto"
    # A session of its own: credentials (env, profile or role) are resolved now, not shared
    # with (or cached by) boto3's global default session.
    return boto3.session.Session().client(
        "s3",
        endpoint_url=settings.endpoint_url or None,
        region_name=settings.region,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing},
            connect_timeout=3,
            read_timeout=10,
            retries={"max_attempts": 2, "mode": "standard"},
        ),
    )


class S3Storage:
    """Objects in one private bucket; the browser talks to the bucket with signed URLs."""

    def __init__(self, settings: S3Settings, client: Any = None) -> None:
        self.bucket = settings.bucket
        self.client = client or make_client(settings)

    def presign_post(self, key: str, content_type: str, max_size: int, expires: int) -> SignedPost:
        """Sign a POST policy pinning the key, the content type and the size range."""
        post = self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", 1, max_size],
            ],
            ExpiresIn=expires,
        )
        return SignedPost(url=post["url"], fields=dict(post["fields"]))

    def presign_get(self, key: str, filename: str, expires: int, version: str | None = None) -> str:
        """Sign a GET of the object (at VERSION) as an attachment named FILENAME."""
        disposition = f"attachment; filename*=UTF-8''{_quote(filename)}"
        params = {"Bucket": self.bucket, "Key": key, "ResponseContentDisposition": disposition}
        if version:
            params["VersionId"] = version
        url: str = self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires
        )
        return url

    def read_head(self, key: str, length: int) -> ObjectHead:
        """Fetch the first LENGTH bytes with a ranged GET."""
        try:
            response = self.client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes=0-{length - 1}"
            )
            head = response["Body"].read(length)
        except (ClientError, BotoCoreError) as exc:
            reason = _reason(exc)
            if reason in MISSING_CODES:
                raise ObjectMissingError(f"no object {key}") from None
            if reason == "InvalidRange":  # an empty object has no byte 0
                return ObjectHead(size=0, content_type="", head=b"")
            raise StorageError(f"cannot read {key}: {reason}") from None
        total = response.get("ContentRange", "").rpartition("/")[2]
        size = int(total) if total.isdigit() else int(response.get("ContentLength", len(head)))
        # The same response names the version these bytes belong to: nothing can slip between.
        version = response.get("VersionId")
        if version in (None, "null"):
            log.warning("bucket %s keeps no versions: downloads cannot be pinned", self.bucket)
            version = None
        content_type = response.get("ContentType", "")
        return ObjectHead(size=size, content_type=content_type, head=head, version=version)

    def delete(self, key: str, version: str | None = None) -> None:
        """Delete the object, or only its VERSION (a versioned bucket keeps the others)."""
        try:
            self.client.delete_object(
                Bucket=self.bucket, Key=key, **({"VersionId": version} if version else {})
            )
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"cannot delete {key}: {_reason(exc)}") from None

    def check(self) -> None:
        """HEAD the bucket."""
        self.client.head_bucket(Bucket=self.bucket)


def _reason(exc: Exception) -> str:
    """Return the S3 error code or the exception's name."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "error"))
    return type(exc).__name__


def _quote(filename: str) -> str:
    """Percent-encode a file name for Content-Disposition (RFC 5987)."""
    return quote(filename, safe="")
