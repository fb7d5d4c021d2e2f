"""Placeholder values the settings refuse in production (a leaf: imports nothing from app)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Words of the values people paste from examples and templates ("change-me", "<your secret key
# here>", the kit's own APP_PASSWORD): a value made of these words only is refused in production
# as if unset. Whole words, never substrings: a random key may well contain "xxx" or "todo".
# fmt: off
PLACEHOLDER_WORDS = frozenset({
    "change", "me", "changeme", "replace", "replaceme", "placeholder", "example", "todo",
    "fixme", "tbd", "xxx", "your", "secret", "key", "here", "password", "app", "insert", "set",
    "this", "dummy",
})
# fmt: on
# Reserved for documentation (RFC 2606): no real server is ever named so.
DOCUMENTATION_DOMAINS = ("example.com", "example.net", "example.org", "example")


def is_placeholder(value: str) -> bool:
    """Tell whether VALUE is made of placeholder words only (e.g. "change-me", "<your key>")."""
    words = re.findall(r"[a-z0-9]+", value.lower())
    return bool(words) and all(w in PLACEHOLDER_WORDS or set(w) == {"x"} for w in words)


def placeholder_url(value: str) -> bool:
    """Tell whether a service URL names a documentation host or a placeholder password."""
    try:
        parts = urlsplit(value)
        host, password = (parts.hostname or "").rstrip("."), parts.password or ""
    except ValueError:
        return False  # not a URL: the driver will say what is wrong with it
    documentation = any(host == d or host.endswith("." + d) for d in DOCUMENTATION_DOMAINS)
    return documentation or is_placeholder(password)
