"""The todos table and the queries the API makes (SQLAlchemy Core: a table, no ORM)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Row,
    Table,
    Text,
    create_engine,
    insert,
    select,
    text,
)

# The app's view of the table; the schema itself is owned by the migrations (todo/migrations).
todos = Table(
    "todos",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("title", Text),
    Column("done", Boolean),
    Column("created_at", DateTime(timezone=True)),
)


@dataclass(frozen=True)
class Todo:
    """One row of the todos table."""

    id: int
    title: str
    done: bool
    created_at: datetime | None

    @classmethod
    def of(cls, row: Row[Any]) -> Todo:
        """Build a Todo from a selected or returned row."""
        return cls(row.id, row.title, row.done, row.created_at)

    def as_json(self) -> dict[str, Any]:
        """Return the API's representation (created_at in ISO 8601)."""
        created = self.created_at.isoformat() if self.created_at else None
        return {"id": self.id, "title": self.title, "done": self.done, "created_at": created}


def make_engine(url: str) -> Engine:
    """Create the process's connection pool: checked before use, bounded waits."""
    return create_engine(
        url,
        # A restarted database leaves dead connections in the pool: test each one on checkout.
        pool_pre_ping=True,
        pool_timeout=5,
        # An unreachable database must fail a request (or the readiness probe) quickly.
        connect_args={"connect_timeout": 3},
    )


def database_answers(conn: Connection) -> None:
    """Run SELECT 1 (raises SQLAlchemyError when the database cannot answer)."""
    conn.execute(text("SELECT 1"))


def recent(conn: Connection, limit: int) -> list[Todo]:
    """Return up to limit todos, newest first."""
    # Ids grow with every insert: ordering by the primary key is creation order, on an index.
    query = select(todos).order_by(todos.c.id.desc()).limit(limit)
    return [Todo.of(row) for row in conn.execute(query)]


def add(conn: Connection, title: str) -> Todo:
    """Insert a todo and return it as stored (with its id, done flag and creation time)."""
    returned = conn.execute(insert(todos).values(title=title).returning(*todos.c)).one()
    return Todo.of(returned)


def find(conn: Connection, todo_id: int) -> Todo | None:
    """Return the todo with that id, or None."""
    row = conn.execute(select(todos).where(todos.c.id == todo_id)).one_or_none()
    return Todo.of(row) if row else None
