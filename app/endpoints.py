"""Wrap registered views by endpoint name: how a mechanism (caching, idempotency) adds itself.

A leaf like extensions.py: it imports nothing from app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

View = Callable[..., Any]


def wrap_endpoints(app: Flask, wrappers: Mapping[str, Callable[[View], View]]) -> None:
    """Replace each named endpoint's view by its wrapper's; endpoints the app lacks are skipped."""
    for endpoint, wrap in wrappers.items():
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = wrap(view)
