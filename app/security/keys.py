"""One key per purpose, derived from SECRET_KEY, with the fallbacks that let it rotate.

Sessions, CSRF tokens, JWTs and local storage URLs each sign with a key of their own,
HMAC-SHA256(SECRET_KEY, purpose label): a key that leaks from one of them (a JWT library bug, a
logged URL signer) forges nothing of the others, and SECRET_KEY itself never signs anything.
SECRET_KEY_FALLBACKS (comma-separated, newest first) lists retired secrets whose derived keys
are still accepted, never used to sign: rotate by moving the old SECRET_KEY there, then drop it
once what it signed has expired (see app/README.md, "Rotating SECRET_KEY").
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from app.settings import Settings

SESSION, CSRF, JWT, STORAGE = "session", "csrf", "jwt", "storage"
_LABEL = "flask-deploy-kit/key/"


def derive(secret: str, purpose: str) -> str:
    """Return the key for PURPOSE derived from SECRET (hex, 256 bits)."""
    return hmac.new(secret.encode(), (_LABEL + purpose).encode(), hashlib.sha256).hexdigest()


def key_id(key: str) -> str:
    """Return a short public name of KEY (JWT `kid`), from which the key cannot be recovered."""
    return hmac.new(key.encode(), b"kid", hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class PurposeKeys:
    """The signing key of one purpose and the retired keys it still verifies."""

    current: str
    fallbacks: tuple[str, ...]

    @property
    def oldest_first(self) -> list[str]:
        """Return every key, current last (itsdangerous signs with the last of a list)."""
        return [*reversed(self.fallbacks), self.current]

    def by_id(self, kid: object) -> str | None:
        """Return the key whose key_id is KID, if it is one of these."""
        return next((k for k in (self.current, *self.fallbacks) if key_id(k) == kid), None)


def keys_for(settings: Settings, purpose: str) -> PurposeKeys:
    """Return PURPOSE's keys derived from SECRET_KEY and SECRET_KEY_FALLBACKS."""
    return PurposeKeys(
        current=derive(settings.secret_key, purpose),
        fallbacks=tuple(derive(old, purpose) for old in settings.fallback_keys),
    )
