"""flask-smorest adapted to the kit (safe JSON parsing, our error shape), and the one Api."""

from __future__ import annotations

import json
from typing import Any

import flask_smorest
from webargs.flaskparser import FlaskParser

from app.schemas.errors import ErrorSchema


class SafeJsonParser(FlaskParser):
    """webargs' parser, but JSON nested deeper than Python can decode is a 400, not a 500."""

    def _raw_load_json(self, req: Any) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            # Routed through webargs' invalid-JSON handling, like any malformed body (an empty
            # document would instead be taken for a missing body).
            raise json.JSONDecodeError("JSON nested too deeply", "[", 0) from None


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """The API's blueprint class: every resource module declares one of these."""

    ARGUMENTS_PARSER = SafeJsonParser()


class Api(flask_smorest.Api):  # type: ignore[misc]
    """flask-smorest's Api documenting errors in the shape app/errors.py returns."""

    ERROR_SCHEMA = ErrorSchema


# The one Api of the app; create_app binds it, app/api/__init__.py registers the resources.
api = Api()
