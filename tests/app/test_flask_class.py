"""app/flask_class.py: ensure_sync asks once per function, and never keeps an instance."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from flask import Flask

from app.flask_class import MAX_CACHED, KitFlask


class Hook:
    """A callable object, as a registered after-request hook may be."""

    def __call__(self, response: Any) -> Any:
        return response

    def method(self) -> None:
        """A bound method, as a MethodView's dispatch is on each new instance."""


def test_a_function_is_checked_once_and_returned_as_is() -> None:
    app = KitFlask(__name__)

    def view() -> str:
        return "ok"

    assert app.ensure_sync(view) is view
    assert app.ensure_sync(view) is view
    assert app._is_async == {view: False}


def test_bound_methods_are_remembered_by_their_function_not_their_instance() -> None:
    app = KitFlask(__name__)
    hook = Hook()
    alive = weakref.ref(hook)
    for _ in range(3):
        method = Hook().method
        assert app.ensure_sync(method) is method
    assert app.ensure_sync(hook.method)() is None
    assert app._is_async == {Hook.method: False}
    del hook
    gc.collect()
    assert alive() is None  # the cache holds no instance


def test_a_coroutine_function_gets_what_flask_would_give_it() -> None:
    app = KitFlask(__name__)

    async def view() -> str:
        return "async"

    # Without asgiref (not installed: the kit's views are sync) Flask refuses async views;
    # the cache changes nothing about that answer.
    with pytest.raises(RuntimeError, match="async") as kit:
        app.ensure_sync(view)
    with pytest.raises(RuntimeError, match="async") as plain:
        Flask(__name__).ensure_sync(view)
    assert str(kit.value) == str(plain.value)
    with pytest.raises(RuntimeError, match="async"):
        app.ensure_sync(view)  # remembered as a coroutine: the same answer again


def test_the_cache_is_bounded() -> None:
    app = KitFlask(__name__)
    hooks = [Hook() for _ in range(MAX_CACHED + 5)]
    for hook in hooks:
        assert app.ensure_sync(hook) is hook
    assert len(app._is_async) == MAX_CACHED
