"""app/services/item_listing.py: pages, counts, filters, and statements built once."""

from __future__ import annotations

import pytest
from app_helpers import add_items
from flask import Flask

from app.services import item_listing
from app.services.item_listing import ItemSummary, list_items, recent_items


def test_a_page_and_the_count_of_all_matches(app: Flask, owner: int) -> None:
    add_items(app, owner, [f"note {n}" for n in range(5)])
    with app.app_context():
        rows, total = list_items(2, 2)
    assert total == 5
    assert [row.title for row in rows] == ["note 2", "note 1"]  # newest first
    assert all(isinstance(row, ItemSummary) for row in rows)
    assert rows[0].owner_name == "Owner"
    assert rows[0].created_at.utcoffset() is not None  # aware, as the API writes it


def test_a_page_past_the_end_is_empty_but_counted(app: Flask, owner: int) -> None:
    add_items(app, owner, ["only"])
    with app.app_context():
        assert list_items(3, 20) == ([], 1)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [("Apple", "%apple%"), ("100%", "%100\\%%"), ("a_b", "%a\\_b%"), ("c:\\", "%c:\\\\%")],
)
def test_title_search_matches_text_not_wildcards(text: str, pattern: str) -> None:
    assert item_listing._like_pattern(text) == pattern


def test_statements_are_built_once_per_filters_and_order(app: Flask, owner: int) -> None:
    add_items(app, owner, ["Apple pie", "apple tart", "Banana"])
    item_listing._statements.cache_clear()
    with app.app_context():
        assert [r.title for r in list_items(1, 20, sort="title", q="apple")[0]] == [
            "Apple pie",
            "apple tart",
        ]
        assert [r.title for r in list_items(1, 20, sort="title", q="banana")[0]] == ["Banana"]
        assert list_items(1, 20, q="", owner_id=None)[1] == 3  # empty filters are no filters
        assert list_items(1, 20, owner_id=owner + 1) == ([], 0)
    info = item_listing._statements.cache_info()
    assert (info.misses, info.hits) == (3, 1)  # (q, title), (), (owner_id,); q again: a hit


def test_recent_items_are_the_newest(app: Flask, owner: int) -> None:
    add_items(app, owner, [f"entry {n}" for n in range(4)])
    with app.app_context():
        assert [item.title for item in recent_items(limit=2)] == ["entry 3", "entry 2"]
