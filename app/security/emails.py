"""The one form email addresses are compared in (registration, sign-in, rate-limit keys)."""

from __future__ import annotations

from email_validator import validate_email


def normalized_email(address: str) -> str:
    """Return ADDRESS normalised (IDNA domain, NFC) and lower-cased; raise EmailNotValidError."""
    return validate_email(address, check_deliverability=False).normalized.lower()
