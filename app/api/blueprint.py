"""flask-smorest adapted to the kit (safe JSON parsing, schemas built once, our error shape)."""

from __future__ import annotations

import functools
import json
from typing import Any

import flask_smorest
from marshmallow import Schema
from webargs.flaskparser import FlaskParser

from app.schemas.errors import ErrorSchema


class ApiParser(FlaskParser):
    """webargs' parser with two changes: deep JSON is a 400, and schemas are built once.

    flask-smorest hands schemas given as classes (`@blp.arguments(ItemQuerySchema)`, the
    pagination schema) to webargs as classes, so webargs built a new instance, its fields
    deep-copied, on every request. Instances are kept per class instead; marshmallow schemas
    are safe to share between threads for loading.
    """

    def __init__(self) -> None:
        super().__init__()
        self._schemas: dict[type[Schema], Schema] = {}

    def parse(self, argmap: Any, req: Any = None, **kwargs: Any) -> Any:
        """Parse REQ with ARGMAP, built once if it is a schema class."""
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            argmap = self._schemas.get(argmap) or self._schemas.setdefault(argmap, argmap())
        return super().parse(argmap, req, **kwargs)

    def _raw_load_json(self, req: Any) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            # Routed through webargs' invalid-JSON handling, like any malformed body (an empty
            # document would instead be taken for a missing body).
            raise json.JSONDecodeError("JSON nested too deeply", "[", 0) from None


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """The API's blueprint class: every resource module declares one of these."""

    ARGUMENTS_PARSER = ApiParser()
    PAGINATION_ARGUMENTS_PARSER = ApiParser()
    # The header's metadata depends on three integers only; flask-smorest dumps it through a
    # new schema instance on every request. The cached dicts are only ever read (json.dumps).
    _make_pagination_metadata = staticmethod(
        functools.lru_cache(maxsize=1024)(flask_smorest.Blueprint._make_pagination_metadata)
    )


class Api(flask_smorest.Api):  # type: ignore[misc]
    """flask-smorest's Api documenting errors in the shape app/errors.py returns."""

    ERROR_SCHEMA = ErrorSchema


# The one Api of the app; create_app binds it, app/api/__init__.py registers the resources.
api = Api()
