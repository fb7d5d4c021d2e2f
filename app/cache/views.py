"""Cache whole GET responses of chosen endpoints (the public item list).

The wrapper is applied to the registered view function, so the items module stays free of
caching concerns; the stats endpoint uses get_or_compute directly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, make_response, request

from app.cache.keys import make_key
from app.cache.singleflight import get_or_compute
from app.endpoints import wrap_endpoints

# Endpoint -> seconds its responses are cached; entries also die on the next write.
CACHED_ENDPOINTS = {"items.Items": 30}
# Response headers worth replaying (pagination links and counts).
KEPT_HEADERS = ("Content-Type", "X-Pagination", "Link")

Snapshot = tuple[int, bytes, list[tuple[str, str]]]


def _snapshot(response: Response) -> Snapshot:
    """Reduce a response to plain, picklable data."""
    headers = [(k, v) for k, v in response.headers.items() if k in KEPT_HEADERS]
    return response.status_code, response.get_data(), headers


def cached_view(endpoint: str, view: Callable[..., Any], timeout: int) -> Callable[..., Any]:
    """Wrap VIEW so its 200 GET responses are served from the cache."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.method != "GET":
            return view(*args, **kwargs)
        hit = True

        def compute() -> Snapshot:
            nonlocal hit
            hit = False
            return _snapshot(make_response(view(*args, **kwargs)))

        status, body, headers = get_or_compute(
            endpoint, make_key(endpoint), compute, timeout, cacheable=lambda s: s[0] == 200
        )
        response = Response(body, status=status, headers=headers)
        response.headers["X-Cache"] = "HIT" if hit else "MISS"
        return response

    return wrapper


def cache_endpoints(app: Flask) -> None:
    """Wrap every endpoint named in CACHED_ENDPOINTS that the app has."""
    wrap_endpoints(
        app, {e: functools.partial(cached_view, e, timeout=t) for e, t in CACHED_ENDPOINTS.items()}
    )
