"""The environment app processes get: the stack's services, secrets and gunicorn sizing."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kitcore.colours import COLOURS
from kitcore.contract import Contract
from stack.config import HOST, StackConfig
from stack.credentials import Credentials

APP_ENV_FILE = "app-env.json"


def app_environment(cfg: StackConfig, creds: Credentials, contract: Contract) -> dict[str, str]:
    """Return the variables every process of the service gets: its services, secrets, sizing."""
    used = contract.platform.services
    database = contract.platform.database
    env = {
        **contract.serve.production_env,
        "SECRET_KEY": creds.secret_key,
        "FORWARDED_ALLOW_IPS": HOST,
        # Nginx is the one proxy in front: trust its X-Forwarded-For for client addresses
        # (rate limits key on them), and nothing further out.
        "TRUSTED_PROXY_HOPS": "1",
        "GUNICORN_WORKERS": str(cfg.gunicorn_workers),
        "GUNICORN_THREADS": str(cfg.gunicorn_threads),
        "LOG_LEVEL": "INFO",
    }
    if "postgres" in used:
        env["DATABASE_URL"] = (
            f"postgresql://{database}:{creds.postgres_app_password}"
            f"@{HOST}:{cfg.app_postgres_port()}/{database}"
        )
    if "redis" in used:
        env["REDIS_URL"] = f"redis://:{creds.redis_password}@{HOST}:{cfg.redis_port}/0"
    if "s3" in used:
        env |= {
            "S3_ENDPOINT_URL": f"http://{HOST}:{cfg.s3_port}",
            "S3_BUCKET": cfg.bucket,
            "S3_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": creds.s3_app_key,
            "AWS_SECRET_ACCESS_KEY": creds.s3_app_secret,
        }
    return env


def write_app_env(cfg: StackConfig, creds: Credentials, contract: Contract) -> Path:
    """Store the app environment for the launcher (0600: it holds secrets)."""
    binds = {f"KIT_{c.upper()}_BIND": f"{HOST}:{cfg.colour_port(c)}" for c in COLOURS}
    path = cfg.state_dir / APP_ENV_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(app_environment(cfg, creds, contract) | binds, handle, indent=2)
    return path
