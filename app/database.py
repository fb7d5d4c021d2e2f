"""Engine options that bound how long a request can wait for the database."""

from __future__ import annotations

from typing import Any

from app.settings import Settings


def engine_options(settings: Settings) -> dict[str, Any]:
    """Return SQLALCHEMY_ENGINE_OPTIONS for the configured database."""
    db = settings.database
    url = settings.sqlalchemy_url
    options: dict[str, Any] = {"pool_pre_ping": True}  # drop dead connections after an outage
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": db.connect_timeout}
        return options
    options.update(
        pool_size=db.pool_size,
        max_overflow=db.max_overflow,
        pool_timeout=db.pool_timeout,
        pool_recycle=db.pool_recycle,
    )
    if url.startswith("postgresql"):
        options["connect_args"] = {
            "connect_timeout": db.connect_timeout,
            # Server-side bounds: a stuck query or lock never holds a worker for long.
            "options": (
                f"-c statement_timeout={db.statement_timeout_ms}"
                f" -c lock_timeout={db.statement_timeout_ms}"
                f" -c idle_in_transaction_session_timeout={max(db.statement_timeout_ms, 1000) * 6}"
            ),
            # TCP keepalives notice a vanished server instead of waiting forever.
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 2,
            "application_name": "flask-deploy-kit",
        }
        if db.sslrootcert:
            options["connect_args"]["sslrootcert"] = db.sslrootcert
    return options
