"""app/services/items.py: edge cases requests rarely reach."""

from __future__ import annotations

import pytest
from flask import Flask

from app.services import items as item_service
from app.services.errors import ConflictError


def test_lost_uniqueness_race_is_a_conflict(
    app: Flask, owner: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another worker inserted the same title between our check and our commit.
    monkeypatch.setattr(item_service, "_refuse_duplicate_title", lambda owner_id, title: None)
    with app.app_context():
        item_service.create_item(owner, "raced")
        with pytest.raises(ConflictError, match="retry"):
            item_service.create_item(owner, "raced")
