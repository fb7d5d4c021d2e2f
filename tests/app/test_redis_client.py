"""app/redis_client.py: one lazily created client per process."""

from __future__ import annotations

import pytest

from app.redis_client import RedisClient


def test_redis_client_is_lazy_and_requires_a_url() -> None:
    client = RedisClient()
    assert not client.configured
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        client.get()
