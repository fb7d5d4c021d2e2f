"""Schemas of the auth endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas.fields import Text

EMAIL_MAX = 320
PASSWORD_MAX = 1024  # argon2 accepts any length; bound the work an attacker can ask for


class CredentialsSchema(Schema):
    """An email address and a password."""

    email = Text(required=True, validate=validate.Length(3, EMAIL_MAX))
    password = Text(required=True, validate=validate.Length(1, PASSWORD_MAX), load_only=True)


class RegisterSchema(CredentialsSchema):
    """Fields accepted when registering."""

    name = Text(load_default="", validate=validate.Length(max=120))


class UserSchema(Schema):
    """A user as the auth API returns it."""

    id = fields.Int(dump_only=True)
    email = fields.Str(dump_only=True)
    name = fields.Str(dump_only=True)
    role = fields.Str(dump_only=True)
    locale = fields.Str(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class TokenSchema(Schema):
    """Tokens returned by /token and /refresh."""

    access_token = fields.Str(required=True)
    refresh_token = fields.Str()
    token_type = fields.Str(required=True)
    expires_in = fields.Int(required=True)
