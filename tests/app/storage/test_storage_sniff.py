"""Type detection from magic bytes and image sizes from headers."""

from __future__ import annotations

import pytest
from app_helpers import png

from app.storage.sniff import detect_type, image_size


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (png(), "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x02\x00\x03\x00", "image/gif"),
        (b"GIF87a\x02\x00\x03\x00", "image/gif"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"plain words\n", "text/plain"),
        ("caf\u00e9".encode()[:-1], "text/plain"),  # a character cut by the head limit
        (b"MZ\x90\x00\x03\x00", None),  # a Windows executable
        (b"\xff\xfe\xfd", None),
        (b"", None),
    ],
)
def test_detect_type(head: bytes, expected: str | None) -> None:
    assert detect_type(head) == expected


def test_image_size() -> None:
    assert image_size("image/png", png(7, 5)) == (7, 5)
    assert image_size("image/gif", b"GIF89a\x02\x00\x03\x00") == (2, 3)
    assert image_size("application/pdf", b"%PDF-") is None
    assert image_size("image/png", b"\x89PNG") is None
