"""Identify a file's type from its first bytes (magic numbers), never from its name."""

from __future__ import annotations

import codecs
import struct

HEAD_BYTES = 512

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)


def detect_type(head: bytes) -> str | None:
    """Return the content type HEAD starts like, or None when unknown."""
    for magic, content_type in _SIGNATURES:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head and b"\x00" not in head and _is_utf8_prefix(head):
        return "text/plain"
    return None


def _is_utf8_prefix(data: bytes) -> bool:
    """Tell whether DATA is UTF-8, allowing a character cut at the end."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def image_size(content_type: str, head: bytes) -> tuple[int, int] | None:
    """Return (width, height) for PNG and GIF headers, else None."""
    if content_type == "image/png" and len(head) >= 24 and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
        return int(width), int(height)
    if content_type == "image/gif" and len(head) >= 10:
        width, height = struct.unpack("<HH", head[6:10])
        return int(width), int(height)
    return None
