"""Sanitise user-supplied file names before they are stored or shown."""

from __future__ import annotations

import re
import unicodedata

MAX_FILENAME_BYTES = 255
FALLBACK = "file"
# Characters no file system or header should see: separators, controls, shell and URL specials.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*;]')
_SPACES = re.compile(r"\s+")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)


def sanitize_filename(name: str) -> str:
    """Return NAME reduced to a safe base name (Unicode kept, paths and controls removed)."""
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # drop any client-side directory
    name = _UNSAFE.sub("_", name)
    name = _SPACES.sub(" ", name).strip(" .")
    if not name or _WINDOWS_RESERVED.match(name):
        name = f"{FALLBACK}_{name}" if name else FALLBACK
    return _truncate(name)


def _truncate(name: str) -> str:
    """Cut NAME to MAX_FILENAME_BYTES of UTF-8, keeping a short extension."""
    if len(name.encode()) <= MAX_FILENAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 16:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    budget = MAX_FILENAME_BYTES - len(suffix.encode())
    cut = stem.encode()[:budget].decode(errors="ignore")
    return cut + suffix
