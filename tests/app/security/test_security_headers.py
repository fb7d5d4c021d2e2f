"""app/security/headers.py and cors.py: CSP, HSTS, frame/type options, cookies, CORS."""

from __future__ import annotations

import pytest
from app_helpers import make_settings
from flask import Flask

from app import create_app
from app.extensions import db
from app.security.headers import connect_origins, origin
from app.settings import AppEnv, S3Settings, SecuritySettings, Settings

HTML = {"Accept": "text/html"}


def directives(csp: str) -> dict[str, list[str]]:
    """Parse a CSP header into {directive: sources}."""
    parsed = {}
    for part in csp.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/docs", "/api/v1/items"])
def test_every_response_carries_the_security_headers(client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=HTML)
    assert response.status_code == 200
    csp = directives(response.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"][0] == "'self'"
    assert all(src.startswith("'nonce-") for src in csp["script-src"][1:])
    assert not any("unsafe" in src for sources in csp.values() for src in sources)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # development/testing


def test_pages_have_no_inline_scripts(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/login", "/register", "/items", "/api/v1/docs"):
        page = client.get(path, headers=HTML).get_data(as_text=True)
        for chunk in page.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), (path, chunk[:80])
        assert " on" + "click=" not in page


def test_development_cookies_are_httponly_and_lax(client) -> None:  # type: ignore[no-untyped-def]
    cookie = client.get("/login", headers=HTML).headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain-HTTP development must still keep its session


@pytest.fixture
def production_app() -> Flask:
    """A production-configured app (the services are not contacted by these requests)."""
    settings = Settings(
        app_env=AppEnv.PRODUCTION,
        secret_key="s3cr3t-production-grade-key-0123456789",
        database={"url": "sqlite://"},
        redis={"url": "redis://127.0.0.1:1/0"},
    )
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    return app


def test_production_sends_hsts_and_secure_cookies(production_app: Flask) -> None:
    client = production_app.test_client()
    behind_tls = client.get(
        "/login", headers={**HTML, "X-Forwarded-Proto": "https"}, base_url="https://app.example"
    )
    hsts = behind_tls.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts
    cookie = behind_tls.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    # No redirect to HTTPS inside the app: Nginx does that, and probes use loopback HTTP.
    assert client.get("/healthz").status_code == 200


def test_cors_only_for_the_api_and_configured_origins() -> None:
    app = create_app(
        make_settings(
            security=SecuritySettings(cors_origins="https://ui.example, https://b.example/")
        )
    )
    with app.app_context():
        db.create_all()
    client = app.test_client()
    allowed = client.get("/api/v1/items", headers={"Origin": "https://ui.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://ui.example"
    assert "X-Request-ID" in allowed.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    second = client.get("/api/v1/items", headers={"Origin": "https://b.example"})
    assert second.headers["Access-Control-Allow-Origin"] == "https://b.example"
    foreign = client.get("/api/v1/items", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers
    page = client.get("/", headers={"Origin": "https://ui.example"})
    assert "Access-Control-Allow-Origin" not in page.headers
    preflight = client.options(
        "/api/v1/items",
        headers={
            "Origin": "https://ui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://ui.example"
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()


def test_no_cors_headers_without_configured_origins(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/items", headers={"Origin": "https://ui.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_connect_src_names_the_bucket_for_browser_uploads() -> None:
    assert origin("https://s3.example:9000/bucket/key?x=1") == "https://s3.example:9000"
    assert origin("javascript:alert(1)") is None
    local = make_settings(
        security=SecuritySettings(csp_connect_src="https://extra.example, nonsense"),
        s3=S3Settings(endpoint_url="http://127.0.0.1:58333", bucket="b"),
    )
    assert connect_origins(local) == ["'self'", "https://extra.example", "http://127.0.0.1:58333"]
    aws = make_settings(s3=S3Settings(bucket="uploads", region="eu-west-1"))
    assert connect_origins(aws) == ["'self'", "https://uploads.s3.eu-west-1.amazonaws.com"]


def test_trusted_proxy_hops_apply_forwarded_headers() -> None:
    app = create_app(make_settings(security=SecuritySettings(trusted_proxy_hops=1)))

    @app.get("/test-only/addr")
    def addr() -> dict[str, object]:
        from flask import request

        return {"addr": request.remote_addr, "secure": request.is_secure}

    answer = app.test_client().get(
        "/test-only/addr", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    )
    assert answer.get_json() == {"addr": "203.0.113.9", "secure": True}


def test_only_documents_carry_a_nonce(client) -> None:  # type: ignore[no-untyped-def]
    page = directives(client.get("/login", headers=HTML).headers["Content-Security-Policy"])
    api = client.get("/api/v1/items")
    assert api.mimetype == "application/json"
    listed = directives(api.headers["Content-Security-Policy"])
    assert page["script-src"][1].startswith("'nonce-")
    assert listed["script-src"] == ["'self'"]  # no inline script can run from JSON
    assert {k: v for k, v in page.items() if k != "script-src"} == {
        k: v for k, v in listed.items() if k != "script-src"
    }
