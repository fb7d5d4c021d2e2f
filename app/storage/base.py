"""The storage interface uploads use: signed POST and GET URLs, and reading objects back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class StorageError(Exception):
    """The storage backend failed (possibly for a while: jobs retry on it)."""


class ObjectMissingError(StorageError):
    """The object does not exist (never uploaded, or deleted)."""


@dataclass(frozen=True)
class SignedPost:
    """Where and with which form fields a browser posts a file."""

    url: str
    fields: dict[str, str]


@dataclass(frozen=True)
class ObjectHead:
    """An object's size, stored content type, first bytes, and the version they belong to."""

    size: int
    content_type: str
    head: bytes
    # The version read (None: the backend keeps none): downloads pin it, so bytes put under the
    # same key later (the signed upload form stays usable for a while) are never served.
    version: str | None = None


class Storage(Protocol):
    """What a storage backend offers."""

    def presign_post(self, key: str, content_type: str, max_size: int, expires: int) -> SignedPost:
        """Return a form upload limited to KEY, CONTENT_TYPE and 1..MAX_SIZE bytes."""
        ...

    def presign_get(self, key: str, filename: str, expires: int, version: str | None = None) -> str:
        """Return a download URL of KEY (at VERSION when given) valid for EXPIRES seconds."""
        ...

    def read_head(self, key: str, length: int) -> ObjectHead:
        """Return the current object's size, content type, first LENGTH bytes and version."""
        ...

    def delete(self, key: str, version: str | None = None) -> None:
        """Remove the object, or only its VERSION (missing is fine)."""
        ...

    def check(self) -> None:
        """Raise when the backend is unusable (readiness)."""
        ...
