"""The kit's Flask class: Flask, except that a hook's async check is made once, not per call."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from flask import Flask

# Hooks, views and handlers are registered at start-up: a few dozen. The bound keeps the cache
# small should anything hand ensure_sync a fresh function per request.
MAX_CACHED = 1000


class KitFlask(Flask):
    """Flask with ensure_sync's answer remembered per function (a documented extension point).

    Flask asks inspect.iscoroutinefunction about every hook and view on every request: with
    the kit's hooks that was about a tenth of a /healthz answer's time in the app.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._is_async: dict[Callable[..., Any], bool] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Return func's synchronous form; whether it is a coroutine is asked once."""
        # A bound method may be made per request (a MethodView's, on a new instance each
        # time): it is remembered by its function, which lives as long as its class, so no
        # instance is kept alive.
        target = getattr(func, "__func__", func)
        try:
            is_async = self._is_async[target]
        except KeyError:
            is_async = inspect.iscoroutinefunction(func)
            if len(self._is_async) < MAX_CACHED:
                self._is_async[target] = is_async
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)
        return self.async_to_sync(func) if is_async else func
