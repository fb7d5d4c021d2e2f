"""The baselines: a bare Flask /healthz and a minimal Flask + SQLAlchemy item list.

    gunicorn bench.baseline:app   (DATABASE_URL names the kit's database, already migrated)

The list runs the kit's query (count, then one page of items with their owner, newest
first) and returns the same JSON shape, with nothing around it.
"""

from __future__ import annotations

import json
import os
from typing import Any

from flask import Flask, Response
from sqlalchemy import create_engine, text

app = Flask(__name__)
_engine = (
    create_engine(os.environ["DATABASE_URL"], pool_size=5) if "DATABASE_URL" in os.environ else None
)

COUNT = text("SELECT count(items.id) FROM items")
PAGE = text(
    "SELECT items.id, items.owner_id, items.title, items.body, items.created_at,"
    " items.updated_at, users.id AS uid, users.name FROM items JOIN users"
    " ON users.id = items.owner_id ORDER BY items.created_at DESC, items.id DESC LIMIT 20"
)


@app.get("/healthz")
def healthz() -> dict[str, Any]:
    """Answer like the kit's liveness probe."""
    return {"status": "ok", "version": "bench", "color": ""}


@app.get("/api/v1/items")
def items() -> Response:
    """Return the first page of items, as the kit's list does."""
    assert _engine is not None, "DATABASE_URL is not set"
    with _engine.connect() as connection:
        total: int = connection.execute(COUNT).scalar_one()
        rows = connection.execute(PAGE).all()
    body = [
        {
            "id": r.id,
            "owner_id": r.owner_id,
            "owner": {"id": r.uid, "name": r.name},
            "title": r.title,
            "body": r.body,
            "created_at": r.created_at.isoformat(),
            "updated_at": r.updated_at.isoformat(),
        }
        for r in rows
    ]
    pagination = {"total": total, "total_pages": -(-total // 20), "page": 1}
    return Response(
        json.dumps(body),
        mimetype="application/json",
        headers={"X-Pagination": json.dumps(pagination)},
    )
