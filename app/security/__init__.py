"""Security: password hashing, headers, CORS, CSRF, rate limits, file names."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.security.cors import init_cors
from app.security.csrf import init_csrf
from app.security.headers import init_headers
from app.security.limits import init_limits
from app.settings import Settings


def init_security(app: Flask, settings: Settings) -> None:
    """Install every security layer on APP."""
    hops = settings.security.trusted_proxy_hops
    if hops:
        # The client's address and scheme as the trusted proxy saw them (rate limit keys, HSTS).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    init_headers(app, settings)
    init_cors(app, settings)
    init_csrf(app)
    init_limits(app, settings)
