"""Schemas of the uploads resource."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas.fields import Text

MAX_DECLARED_SIZE = 2**62  # anything larger is nonsense; the real limit is UPLOAD_MAX_SIZE


class UploadCreateSchema(Schema):
    """What the browser declares before uploading."""

    filename = Text(required=True, validate=validate.Length(1, 1000))
    content_type = fields.Str(required=True, validate=validate.Length(1, 100))
    size = fields.Int(required=True, strict=True, validate=validate.Range(1, MAX_DECLARED_SIZE))


class SignedUploadSchema(Schema):
    """Where and how to post the file."""

    id = fields.Int()
    method = fields.Str()
    url = fields.Str()
    fields_ = fields.Dict(keys=fields.Str(), values=fields.Str(), data_key="fields")
    expires_in = fields.Int()
    max_size = fields.Int()


class UploadSchema(Schema):
    """An upload as the API returns it."""

    id = fields.Int(dump_only=True)
    filename = fields.Str(dump_only=True)
    content_type = fields.Str(dump_only=True)
    size = fields.Int(dump_only=True)
    status = fields.Str(dump_only=True)
    metadata = fields.Dict(attribute="details", dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    download_url = fields.Str(dump_only=True, allow_none=True)


class CompletedSchema(Schema):
    """The answer to /complete."""

    id = fields.Int()
    status = fields.Str()
    job_id = fields.Str()
