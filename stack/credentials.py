"""Per-stack generated credentials, kept in the state dir (0600), never in the repo."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Credentials:
    """Random secrets of one local stack, created on its first `up`."""

    secret_key: str
    postgres_superuser_password: str
    postgres_app_password: str
    redis_password: str
    s3_admin_key: str
    s3_admin_secret: str
    s3_app_key: str
    s3_app_secret: str

    @classmethod
    def load_or_create(cls, path: Path) -> Credentials:
        """Read the stack's credentials, generating and saving them the first time."""
        if path.exists():
            return cls(**json.loads(path.read_text()))
        creds = cls(
            secret_key=secrets.token_hex(32),
            postgres_superuser_password=secrets.token_hex(16),
            postgres_app_password=secrets.token_hex(16),
            redis_password=secrets.token_hex(16),
            s3_admin_key="kitadmin" + secrets.token_hex(6),
            s3_admin_secret=secrets.token_hex(20),
            s3_app_key="kitapp" + secrets.token_hex(7),
            s3_app_secret=secrets.token_hex(20),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(asdict(creds), handle, indent=2)
        return creds
