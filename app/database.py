"""Engine options that bound how long a request can wait for the database."""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, PoolProxiedConnection

from app.settings import Settings


def engine_options(settings: Settings) -> dict[str, Any]:
    """Return SQLALCHEMY_ENGINE_OPTIONS for the configured database."""
    db = settings.database
    url = settings.sqlalchemy_url
    # No pool_pre_ping: drop_closed_connections (below) checks each checkout without a round trip.
    options: dict[str, Any] = {}
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
            "options": _session_options(db.statement_timeout_ms, db.statement_timeout_ms),
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


def drop_closed_connections(engine: Engine) -> None:
    """Make ENGINE's pool replace, on checkout, a PostgreSQL connection the server has closed.

    This replaces pool_pre_ping, which sent a SELECT 1 and waited for it before every
    request's first query. A restarted server, or a terminated backend, closes its end of the
    socket (after a FATAL message), so the idle socket reads as ready: a poll with no wait
    sees it. A false alarm only costs a new connection.
    """
    if engine.dialect.name == "postgresql":
        event.listen(engine, "checkout", _refuse_closed)


def _refuse_closed(
    dbapi_connection: Any, _entry: ConnectionPoolEntry, _proxy: PoolProxiedConnection
) -> None:
    """Raise DisconnectionError (the pool then connects anew) if the server hung up."""
    if dbapi_connection.closed:
        raise DisconnectionError("the connection is closed")
    # An idle connection has nothing to read: data, EOF or an error means the server left.
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError("PostgreSQL closed the connection")


def _session_options(statement_ms: int, lock_ms: int) -> str:
    """Return libpq options: bounds on statements, lock waits and idle transactions; UTC."""
    idle_ms = max(statement_ms, 1000) * 6  # a transaction left open by a crashed caller
    # Timestamps then come back in UTC already, so UTCDateTime converts nothing per row.
    return (
        f"-c statement_timeout={statement_ms} -c lock_timeout={lock_ms}"
        f" -c idle_in_transaction_session_timeout={idle_ms} -c TimeZone=UTC"
    )


def migration_engine(settings: Settings, app_engine: Engine) -> Engine:
    """Return the engine migrations run on: PostgreSQL gets the migration timeouts."""
    if not settings.sqlalchemy_url.startswith("postgresql"):
        return app_engine  # SQLite has no server-side timeouts (and sqlite:// is per engine)
    options = engine_options(settings)
    db = settings.database
    connect_args = {
        **options["connect_args"],
        "options": _session_options(
            db.migration_statement_timeout_ms, db.migration_lock_timeout_ms
        ),
        "application_name": "flask-deploy-kit-migrate",
    }
    # A connection of its own, never returned to the app's pool with these timeouts.
    return create_engine(app_engine.url, poolclass=NullPool, connect_args=connect_args)
