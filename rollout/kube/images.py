"""Image references: the tag a release was pushed with, the id its migration Job is named by."""

from __future__ import annotations

import hashlib


def image_tag(image: str) -> str | None:
    """Return the tag of an image reference (repo:TAG or repo:TAG@sha256:...), if it has one."""
    name = image.partition("@")[0]
    tag = name.rpartition(":")[2] if ":" in name.rpartition("/")[2] else ""
    return tag or None


def release_id(image: str) -> str:
    """Return 12 hex chars naming the release: the image digest's, else a hash of the reference."""
    _, sep, digest = image.partition("@sha256:")
    if sep and len(digest) >= 12:
        return digest[:12].lower()
    return hashlib.sha256(image.encode()).hexdigest()[:12]
