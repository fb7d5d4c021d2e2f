"""The service's configuration, read once from the environment when the app is built."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

PRODUCTION = "production"
# Outside production a developer's own PostgreSQL is the default; production must say where.
LOCAL_DATABASE = "postgresql://todo@127.0.0.1:5432/todo"
POSTGRES_SCHEMES = ("postgres", "postgresql")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(RuntimeError):
    """The environment cannot configure the service; the message names the variable."""


def sqlalchemy_url(url: str) -> str:
    """Point postgres:// and postgresql:// URLs at psycopg 3, the driver this service ships."""
    scheme, separator, rest = url.partition("://")
    if separator and scheme in POSTGRES_SCHEMES:
        return f"postgresql+psycopg://{rest}"
    return url


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment."""

    database_url: str
    release: str
    slot: str
    production: bool
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read TODO_ENV, DATABASE_URL, TODO_RELEASE, TODO_SLOT and LOG_LEVEL."""
        env = os.environ if env is None else env
        production = env.get("TODO_ENV", "development").strip() == PRODUCTION
        database_url = env.get("DATABASE_URL", "").strip()
        if production and not database_url:
            raise ConfigError("DATABASE_URL is required when TODO_ENV=production")
        log_level = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
        if log_level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {'/'.join(LOG_LEVELS)}, not {log_level!r}")
        return cls(
            database_url=sqlalchemy_url(database_url or LOCAL_DATABASE),
            # The kit sets both; "dev" and "none" say the process runs outside a rollout.
            release=env.get("TODO_RELEASE", "").strip() or "dev",
            slot=env.get("TODO_SLOT", "").strip() or "none",
            production=production,
            log_level=log_level,
        )
