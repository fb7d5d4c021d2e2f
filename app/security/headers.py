"""Secure response headers, built once per configuration: CSP with a nonce, HSTS, framing.

Every header value is computed when the app is created; a request only draws its CSP nonce
(on first use, by a template through `csp_nonce()`, or when an HTML response leaves) and joins
it into the precomputed policy. The kit keeps every script in an external file, so the policy
needs no 'unsafe-inline' and the nonce is only a fallback. Responses a browser never runs
scripts from (JSON, files) get the same policy without a nonce: no random draw per API call.
Probes (app/probes.py) only get nosniff: no browser reads them.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g, request

from app.probes import is_probe
from app.response_headers import put_headers
from app.settings import SecuritySettings, Settings

SELF = "'self'"
ONE_YEAR = 365 * 24 * 3600
NONCE_BYTES = 24  # 32 URL-safe characters
NONCE_IN = "script-src"
# Documents a browser may run inline scripts from; only these carry a nonce.
DOCUMENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml"})


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


def csp_parts(policy: dict[str, str | list[str]]) -> tuple[str, str]:
    """Render POLICY as the text before and after the nonce's place (end of script-src)."""
    rendered = [
        f"{name} {value if isinstance(value, str) else ' '.join(value)}"
        for name, value in policy.items()
    ]
    cut = next(i for i, name in enumerate(policy) if name == NONCE_IN) + 1
    return "; ".join(rendered[:cut]), "".join("; " + part for part in rendered[cut:])


def csp_nonce() -> str:
    """Return this request's CSP nonce, drawing it on first use."""
    nonce: str | None = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(NONCE_BYTES)
    return nonce


class SecureHeaders:
    """The precomputed headers of one app, added to each response by one after_request hook."""

    def __init__(self, settings: Settings) -> None:
        self.static = [
            ("Permissions-Policy", "browsing-topics=()"),
            ("X-Frame-Options", "DENY"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ]
        self.csp_head, self.csp_tail = csp_parts(content_security_policy(settings))
        self.csp_without_nonce = self.csp_head + self.csp_tail
        self.hsts = f"max-age={ONE_YEAR}; includeSubDomains" if settings.is_production else ""

    def __call__(self, response: Response) -> Response:
        """Set the headers on RESPONSE (HSTS only on requests that came over HTTPS)."""
        if is_probe():
            # Kubelets, load balancers and Prometheus read probes, never a browser: no policy
            # for documents (Nginx still adds its own headers to whatever passes through it).
            response.headers["X-Content-Type-Options"] = "nosniff"
            return response
        if response.mimetype in DOCUMENT_TYPES or "csp_nonce" in g:
            policy = f"{self.csp_head} 'nonce-{csp_nonce()}'{self.csp_tail}"
        else:
            policy = self.csp_without_nonce
        ours = [*self.static, ("Content-Security-Policy", policy)]
        if self.hsts and (
            request.is_secure or request.headers.get("X-Forwarded-Proto", "http") == "https"
        ):
            ours.append(("Strict-Transport-Security", self.hsts))
        put_headers(response.headers, ours)
        return response


def init_headers(app: Flask, settings: Settings) -> None:
    """Install the security headers and cookie flags for every response."""
    # TLS ends at Nginx, which redirects plain HTTP itself; probes reach the app over loopback
    # HTTP, so the app never redirects. Session cookie flags are in app/__init__.py.
    app.after_request(SecureHeaders(settings))
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    production = settings.is_production
    app.config.update(
        REMEMBER_COOKIE_SECURE=production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
