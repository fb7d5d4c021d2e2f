"""What a running app holds besides Flask itself: its settings and its database pool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from flask import Flask, current_app
from sqlalchemy import Engine

from todo.settings import Settings

EXTENSION = "todo"


@dataclass(frozen=True)
class Runtime:
    """The settings and the engine of one app."""

    settings: Settings
    engine: Engine

    def attach(self, app: Flask) -> None:
        """Make this runtime the app's (read back with runtime())."""
        app.extensions[EXTENSION] = self


def runtime() -> Runtime:
    """Return the current app's runtime (inside a request or app context)."""
    return cast(Runtime, current_app.extensions[EXTENSION])
