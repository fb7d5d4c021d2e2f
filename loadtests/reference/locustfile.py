"""The reference app's load: its users (the kit's gate plugin is loaded beside this file)."""

from loadtests.reference.users import ApiClient, Browser, Uploader

__all__ = ["ApiClient", "Browser", "Uploader"]
