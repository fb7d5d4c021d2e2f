"""app/security/filenames.py: user-supplied file names reduced to safe base names."""

from __future__ import annotations

import pytest

from app.security.filenames import MAX_FILENAME_BYTES, sanitize_filename


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\photo.png", "photo.png"),
        ("a\x00b\x1f.txt", "a_b_.txt"),
        ('we<ird>:"|?*;name.txt', "we_ird_______name.txt"),
        ("  spaced   out  .txt ", "spaced out .txt"),
        ("...", "file"),
        ("", "file"),
        ("/", "file"),
        ("CON", "file_CON"),
        ("nul.txt", "file_nul.txt"),
        ("Cafe\u0301.txt", "Café.txt"),  # NFC: one code point for é
        ("résumé 2026.pdf", "résumé 2026.pdf"),
        (".hidden", "hidden"),
    ],
)
def test_sanitize(raw: str, safe: str) -> None:
    assert sanitize_filename(raw) == safe


def test_long_names_keep_their_extension_within_the_byte_limit() -> None:
    name = sanitize_filename("é" * 300 + ".jpeg")
    assert name.endswith(".jpeg")
    assert len(name.encode()) <= MAX_FILENAME_BYTES
    no_extension = sanitize_filename("x" * 400)
    assert len(no_extension.encode()) == MAX_FILENAME_BYTES
    long_extension = sanitize_filename("a." + "b" * 400)
    assert len(long_extension.encode()) == MAX_FILENAME_BYTES
