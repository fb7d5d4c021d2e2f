"""The error body every failing request returns, for the OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, fields


class ErrorSchema(Schema):
    """JSON error: a stable code, a human message, the request id, and field errors if any."""

    error = fields.Str(required=True, metadata={"example": "validation_error"})
    message = fields.Str(required=True)
    request_id = fields.Str(required=True)
    errors = fields.Dict(metadata={"description": "Field errors by location, then field name"})
