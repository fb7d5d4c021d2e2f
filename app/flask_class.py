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
    """Flask with ensure_sync remembered per callable (a documented extension point).

    Flask asks inspect.iscoroutinefunction about every hook and view on every request: with
    the kit's hooks that was about a tenth of a /healthz answer's time in the app.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_forms: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Return func's synchronous form, computed once per registered callable."""
        # A bound method may be made per request (a MethodView's, on a new instance each
        # time): caching it would keep every instance alive. Ask Flask each time instead.
        if inspect.ismethod(func):
            return super().ensure_sync(func)
        try:
            return self._sync_forms[func]
        except KeyError:
            sync = super().ensure_sync(func)
            if len(self._sync_forms) < MAX_CACHED:
                self._sync_forms[func] = sync
            return sync
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)
