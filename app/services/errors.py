"""Errors services raise; app/errors.py turns them into HTTP responses."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A failure the caller can act on, with its HTTP status and error code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


class NotFoundError(ServiceError):
    """The requested record does not exist."""

    status = 404
    code = "not_found"


class ConflictError(ServiceError):
    """The write would break a uniqueness rule."""

    status = 409
    code = "conflict"


class InvalidInputError(ServiceError):
    """The input is well-formed but refers to something invalid."""

    status = 422
    code = "validation_error"
