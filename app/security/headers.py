"""Secure response headers with flask-talisman: CSP, HSTS, frame and type options.

flask-talisman (1.1, kept by the wntrblm org) does exactly this job and exposes a
per-request nonce to templates; the kit still keeps every script in an external
file, so the policy needs no 'unsafe-inline' and the nonce is only a fallback.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask

from app.extensions import talisman
from app.settings import SecuritySettings, Settings

SELF = "'self'"
ONE_YEAR = 365 * 24 * 3600


def origin(url: str) -> str | None:
    """Return scheme://host[:port] of URL, or None when it is not an http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def connect_origins(settings: Settings) -> list[str]:
    """Return the origins pages may fetch from: the app, CSP_CONNECT_SRC and the S3 endpoint."""
    extra = SecuritySettings.split(settings.security.csp_connect_src)
    # The browser posts uploads straight to the bucket (presigned POST, api/uploads.py).
    s3 = getattr(settings, "s3", None)
    endpoint = getattr(s3, "endpoint_url", "") or ""
    bucket = getattr(s3, "bucket", "") or ""
    region = getattr(s3, "region", "") or "us-east-1"
    if endpoint:
        extra.append(endpoint)
    elif bucket:
        extra.append(f"https://{bucket}.s3.{region}.amazonaws.com")
    origins = [found for found in (origin(url) for url in extra) if found]
    return [SELF, *dict.fromkeys(origins)]


def content_security_policy(settings: Settings) -> dict[str, str | list[str]]:
    """Return the CSP: only our own scripts, styles and connections, never inline scripts."""
    connect = connect_origins(settings)
    return {
        "default-src": SELF,
        "script-src": SELF,
        "style-src": SELF,
        "img-src": [SELF, "data:"],
        "font-src": SELF,
        "connect-src": connect,
        "form-action": connect,
        "frame-ancestors": "'none'",
        "base-uri": SELF,
        "object-src": "'none'",
    }


def init_headers(app: Flask, settings: Settings) -> None:
    """Install the security headers and cookie flags for every response."""
    production = settings.is_production
    talisman.init_app(
        app,
        # TLS ends at Nginx, which redirects plain HTTP itself; probes reach the app over
        # loopback HTTP, so the app must not redirect them.
        force_https=False,
        strict_transport_security=production,
        strict_transport_security_max_age=ONE_YEAR,
        strict_transport_security_include_subdomains=True,
        content_security_policy=content_security_policy(settings),
        content_security_policy_nonce_in=["script-src"],
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=production,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
    )
    app.config.update(
        REMEMBER_COOKIE_SECURE=production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
