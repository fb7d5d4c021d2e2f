"""The load-test account the locust users sign in as (generated once per state dir)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

EMAIL = "loadtest@example.com"


def load_user_env(state_dir: Path) -> dict[str, str]:
    """Return LOCUST_USER_EMAIL/PASSWORD, creating a random password file (0600) the first time."""
    path = state_dir / "loadtest-user.json"
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        data = {"email": EMAIL, "password": secrets.token_urlsafe(24)}
        # Created 0600 from the start: the password never sits in a world-readable file.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
    data = json.loads(path.read_text())
    return {"LOCUST_USER_EMAIL": data["email"], "LOCUST_USER_PASSWORD": data["password"]}
