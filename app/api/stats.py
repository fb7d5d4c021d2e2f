"""/api/v1/stats: item counts per owner, cached and recomputed once per write."""

# flask-smorest ships no type hints; its decorators keep the signatures they wrap.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from app.api.blueprint import Blueprint
from app.cache.keys import make_key
from app.cache.singleflight import get_or_compute
from app.services.stats import item_stats

blp = Blueprint("stats", __name__, description="Aggregates over items (cached).")

CACHE_SECONDS = 60


class OwnerCountSchema(Schema):
    """One owner's item count."""

    owner_id = fields.Int()
    name = fields.Str()
    items = fields.Int()


class StatsSchema(Schema):
    """The statistics document."""

    items = fields.Int()
    owners = fields.Int()
    top_owners = fields.List(fields.Nested(OwnerCountSchema))
    generated_at = fields.Str()


@blp.get("")
@blp.response(200, StatsSchema)
def stats() -> dict[str, Any]:
    """Return item counts in all and for the busiest owners."""
    return get_or_compute("stats", make_key("stats"), item_stats, CACHE_SECONDS)
