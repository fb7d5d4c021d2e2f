"""Typed settings read from the environment, one section per concern."""

from __future__ import annotations

import secrets
from enum import StrEnum
from typing import Any

import limits
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.placeholders import is_placeholder, placeholder_url

MIN_SECRET_KEY_LENGTH = 16


class ConfigError(Exception):
    """Raised when the environment cannot produce a usable configuration."""


class AppEnv(StrEnum):
    """Deployment environments the app knows."""

    DEVELOPMENT = "development"
    TESTING = "testing"
    PRODUCTION = "production"


class DatabaseSettings(BaseSettings):
    """DATABASE_*: the SQL database and how long to wait for it."""

    model_config = SettingsConfigDict(env_prefix="DATABASE_", extra="ignore")

    url: str = ""
    # CA bundle that verifies the server (with sslmode=verify-full in DATABASE_URL): on EKS the
    # RDS bundle mounted from the ConfigMap rds-ca (k8s/components/rds-tls). Empty: libpq's default.
    sslrootcert: str = ""
    connect_timeout: int = Field(default=3, ge=1, le=60)  # seconds (libpq minimum is 2)
    statement_timeout_ms: int = Field(default=5000, ge=0)
    pool_size: int = Field(default=5, ge=1)
    max_overflow: int = Field(default=5, ge=0)
    pool_timeout: float = Field(default=3.0, gt=0)  # seconds to wait for a pooled connection
    pool_recycle: int = Field(default=1800, ge=-1)
    # Migrations (`flask db upgrade`) run with their own bounds: an index build or a backfill may
    # take long (0: no limit), but waiting for a lock must fail fast rather than queue every
    # query of the serving version behind the migration's lock request.
    migration_statement_timeout_ms: int = Field(default=3_600_000, ge=0)
    migration_lock_timeout_ms: int = Field(default=3000, ge=0)


class RedisSettings(BaseSettings):
    """REDIS_*: the Redis server of the cache, jobs and rate limits (all degrade without it)."""

    model_config = SettingsConfigDict(env_prefix="REDIS_", extra="ignore")

    url: str = ""
    socket_timeout: float = Field(default=2.0, gt=0)


class ApiSettings(BaseSettings):
    """API_*: request limits."""

    model_config = SettingsConfigDict(env_prefix="API_", extra="ignore")

    max_content_length: int = Field(default=1024 * 1024, ge=1024)


class AuthSettings(BaseSettings):
    """AUTH_*: token lifetimes and the rate limits of the sign-in endpoints."""

    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=14, ge=1, le=365)
    # Browser sessions end this long after sign-in (server-side too: sign-out ends them at once).
    session_hours: int = Field(default=12, ge=1, le=31 * 24)
    # flask-limiter strings, per client IP; failed sign-ins back off per account and client.
    login_rate_limit: str = "10/minute;50/hour"
    login_backoff_after: int = Field(default=5, ge=0, le=100)  # failures before any wait
    login_backoff_max_seconds: int = Field(default=900, ge=1, le=24 * 3600)
    register_rate_limit: str = "5/minute;20/hour"
    refresh_rate_limit: str = "30/minute"
    # argon2id cost of new password hashes (argon2-cffi's RFC 9106 defaults); raising them
    # upgrades every stored hash the next time its owner signs in.
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=65536, ge=8 * 1024, le=1024 * 1024)
    argon2_parallelism: int = Field(default=4, ge=1, le=16)

    @field_validator("login_rate_limit", "register_rate_limit", "refresh_rate_limit")
    @classmethod
    def _parse_limit(cls, value: str) -> str:
        """Refuse a rate limit string flask-limiter could not parse."""
        try:
            limits.parse_many(value)
        except ValueError:
            raise ValueError(f"not a rate limit: {value!r} (e.g. '10/minute;50/hour')") from None
        return value


class SecuritySettings(BaseSettings):
    """CORS_ORIGINS, CSP_CONNECT_SRC, TRUSTED_PROXY_HOPS: the browser-facing policy."""

    model_config = SettingsConfigDict(extra="ignore")

    # Comma-separated origins allowed to call /api/* cross-origin; empty means none.
    cors_origins: str = ""
    # Extra origins the pages may connect to (e.g. the bucket's URL for browser uploads).
    csp_connect_src: str = ""
    # Proxies in front of the app that append X-Forwarded-For/-Proto (Nginx: 1).
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)

    @staticmethod
    def split(value: str) -> list[str]:
        """Split a comma-separated setting into its non-empty, trimmed parts."""
        return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]


class S3Settings(BaseSettings):
    """S3_*: the uploads bucket; no bucket means local file storage (development)."""

    model_config = SettingsConfigDict(env_prefix="S3_", extra="ignore")

    endpoint_url: str = ""  # empty: AWS itself; set for SeaweedFS/MinIO (path-style then)
    bucket: str = ""
    region: str = "us-east-1"


class UploadSettings(BaseSettings):
    """UPLOAD_*: what may be uploaded, how big, and how long the signed URLs live."""

    model_config = SettingsConfigDict(env_prefix="UPLOAD_", extra="ignore")

    max_size: int = Field(default=10 * 1024 * 1024, ge=1)
    allowed_types: str = "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain"
    url_expiry: int = Field(default=300, ge=1, le=7 * 24 * 3600)  # presigned POST, seconds
    download_expiry: int = Field(default=60, ge=1, le=7 * 24 * 3600)  # presigned GET, seconds
    local_dir: str = "instance/uploads"  # the local backend's folder (no bucket configured)
    # An upload processing longer than this lost its job (worker killed, retries spent, the
    # registry cleaned by someone else): the reaper fails it so /complete may start it again.
    # Above job_timeout x (retries + 1) + backoff + abandonment detection with the defaults.
    stuck_seconds: int = Field(default=1800, ge=60)

    @property
    def types(self) -> frozenset[str]:
        """Return the allowed content types."""
        return frozenset(t.strip().lower() for t in self.allowed_types.split(",") if t.strip())


class SmtpSettings(BaseSettings):
    """SMTP_*: the mail relay used by the welcome email job; no host means mail is logged only."""

    model_config = SettingsConfigDict(env_prefix="SMTP_", extra="ignore")

    host: str = ""
    port: int = Field(default=25, ge=1, le=65535)
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = Field(default=10.0, gt=0)
    sender: str = "Flask deployment kit <no-reply@localhost>"


class WorkerSettings(BaseSettings):
    """WORKER_*: RQ queue, job time limits and how soon a dead worker's job is retried."""

    model_config = SettingsConfigDict(env_prefix="WORKER_", extra="ignore")

    queue: str = "default"
    job_timeout: int = Field(default=300, ge=1)
    max_retries: int = Field(default=3, ge=0, le=20)
    retry_base_seconds: int = Field(default=10, ge=0)  # backoff: base, 2*base, 4*base ...
    # A job whose worker stops heart-beating for monitoring_interval + heartbeat_grace seconds
    # counts as abandoned; maintenance (every maintenance_interval seconds) then retries it.
    monitoring_interval: int = Field(default=10, ge=1)
    heartbeat_grace: int = Field(default=20, ge=1)
    maintenance_interval: int = Field(default=30, ge=1)
    metrics_port: int = Field(default=0, ge=0, le=65535)  # 0: no metrics listener
    metrics_addr: str = "127.0.0.1"  # 0.0.0.0 in a pod, for the cluster's Prometheus


class Settings(BaseSettings):
    """Everything the app reads from its environment."""

    model_config = SettingsConfigDict(extra="ignore")

    app_env: AppEnv = AppEnv.DEVELOPMENT
    secret_key: str = ""
    # Retired secret keys, comma-separated, newest first: still verified, never used to sign.
    secret_key_fallbacks: str = ""
    log_level: str = "INFO"
    log_requests: bool = True
    app_version: str = "dev"
    app_color: str = Field(default="", pattern=r"^(blue|green)?$")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    s3: S3Settings = Field(default_factory=S3Settings)
    uploads: UploadSettings = Field(default_factory=UploadSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)

    @model_validator(mode="after")
    def _check_environment(self) -> Settings:
        """Require real secrets in production; fill embedded defaults elsewhere."""
        if self.app_env is AppEnv.PRODUCTION:
            _require("SECRET_KEY", self.secret_key)
            if len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
                raise ValueError(
                    f"SECRET_KEY is too short for production "
                    f"(at least {MIN_SECRET_KEY_LENGTH} characters)"
                )
            for old in self.fallback_keys:
                _require("SECRET_KEY_FALLBACKS", old)
            _require("DATABASE_URL", self.database.url)
            _require("REDIS_URL", self.redis.url)
        else:
            # A fresh random key per process: never a fixed, guessable default.
            self.secret_key = self.secret_key or secrets.token_hex(32)
            if not self.database.url:
                self.database.url = (
                    "sqlite://" if self.app_env is AppEnv.TESTING else "sqlite:///dev.db"
                )
        self.log_level = self.log_level.upper()
        return self

    @property
    def fallback_keys(self) -> list[str]:
        """Return SECRET_KEY_FALLBACKS as a list, newest first."""
        return [key.strip() for key in self.secret_key_fallbacks.split(",") if key.strip()]

    @property
    def is_production(self) -> bool:
        """Tell whether this is a production deployment."""
        return self.app_env is AppEnv.PRODUCTION

    @property
    def sqlalchemy_url(self) -> str:
        """Return DATABASE_URL with the installed PostgreSQL driver (psycopg 3) selected."""
        url = self.database.url
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url.removeprefix(prefix)
        return url


def _require(name: str, value: str) -> None:
    """Refuse an unset or placeholder value for a required production variable."""
    if not value.strip():
        raise ValueError(f"{name} must be set when APP_ENV=production")
    if is_placeholder(value) or ("://" in value and placeholder_url(value)):
        raise ValueError(f"{name} holds a placeholder value; set a real one for production")


# Every section class, to name a failing variable with its section's env prefix.
_SECTIONS = (
    *(DatabaseSettings, RedisSettings, ApiSettings, AuthSettings, SecuritySettings),
    *(S3Settings, UploadSettings, SmtpSettings, WorkerSettings),
)


def load_settings(**overrides: Any) -> Settings:
    """Build the settings from the environment, turning validation errors into one line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        # A section's own error names its field without the section's env prefix.
        sections = (Settings, *_SECTIONS)
        env_prefix = {cls.__name__: cls.model_config.get("env_prefix", "") for cls in sections}
        loc = "_".join(str(part) for part in first["loc"]).upper()
        where = f"{env_prefix.get(exc.title, '')}{loc}" if loc else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        named = f"{where}: " if where and where not in message else ""
        raise ConfigError(f"invalid configuration: {named}{message}") from None
