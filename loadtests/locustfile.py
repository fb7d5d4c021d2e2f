"""Locust entry point: the kit's users plus the gate plugin (host from the command line)."""

from loadtests import gate  # noqa: F401 - registers the gate's event hooks
from loadtests.users import ApiClient, Browser, Uploader

__all__ = ["ApiClient", "Browser", "Uploader"]
