"""CORS for /api/* only, and only for the origins listed in CORS_ORIGINS."""

from __future__ import annotations

from flask import Flask

from app.extensions import cors
from app.settings import SecuritySettings, Settings

EXPOSED = ["X-Request-ID", "X-Pagination", "Retry-After", "X-App-Version", "X-App-Color"]


def init_cors(app: Flask, settings: Settings) -> None:
    """Allow the configured origins to call the API with bearer tokens (no cookies)."""
    origins = SecuritySettings.split(settings.security.cors_origins)
    if not origins:
        return  # same-origin only: no Access-Control-* headers at all
    cors.init_app(
        app,
        resources={r"/api/*": {"origins": origins}},
        # Tokens travel in the Authorization header; cookies never cross origins.
        supports_credentials=False,
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        expose_headers=EXPOSED,
        max_age=600,
    )
