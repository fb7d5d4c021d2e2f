"""Behaviour through a real Nginx: redirect, TLS, headers, limits, static files, request ids."""

from __future__ import annotations

import re
import socket
import ssl

import pytest
import requests

from tests.nginx.conftest import HTTP, HTTPS, PREVIEW, Proxy


def get(proxy: Proxy, path: str, **kwargs: object) -> requests.Response:
    """GET a path on the public listener, trusting the test CA."""
    return requests.get(proxy.url(path), verify=str(proxy.ca), timeout=5, **kwargs)  # type: ignore[arg-type]


def test_http_redirects_to_https(proxy: Proxy) -> None:
    resp = requests.get(f"http://127.0.0.1:{HTTP}/a/b?x=1", allow_redirects=False, timeout=5)
    assert resp.status_code == 301
    assert resp.headers["Location"] == f"https://127.0.0.1:{HTTPS}/a/b?x=1"


def test_public_routes_to_active_and_preview_to_idle(proxy: Proxy) -> None:
    assert get(proxy, "/").headers["X-App-Color"] == "blue"
    preview = requests.get(proxy.url("/", PREVIEW), verify=str(proxy.ca), timeout=5)
    assert preview.headers["X-App-Color"] == "green"


def test_security_headers_once_each(proxy: Proxy) -> None:
    resp = get(proxy, "/")
    assert resp.headers["Strict-Transport-Security"] == "max-age=600; includeSubDomains"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"  # the app's SAMEORIGIN is hidden
    assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert resp.headers["Server"] == "nginx"  # no version banner


def test_forwarded_headers_reach_the_app(proxy: Proxy) -> None:
    body = get(proxy, "/", headers={"X-Forwarded-For": "203.0.113.9"}).json()
    assert body["forwarded_proto"] == "https"
    assert body["forwarded_for"] == "127.0.0.1"  # a client's spoofed value is replaced


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_12_and_13_accepted(proxy: Proxy, version: ssl.TLSVersion) -> None:
    ctx = ssl.create_default_context(cafile=str(proxy.ca))
    ctx.minimum_version = ctx.maximum_version = version
    with (
        socket.create_connection(("127.0.0.1", HTTPS), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.version() == version.name.replace("v1_", "v1.")


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_old_tls_refused(proxy: Proxy, version: ssl.TLSVersion) -> None:
    ctx = ssl.create_default_context(cafile=str(proxy.ca))
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client offer it; the server must refuse
    ctx.minimum_version = ctx.maximum_version = version
    with (
        socket.create_connection(("127.0.0.1", HTTPS), timeout=5) as raw,
        pytest.raises(ssl.SSLError, match=r"(?i)protocol|version"),
    ):
        ctx.wrap_socket(raw, server_hostname="localhost")


def test_http2_negotiated(proxy: Proxy) -> None:
    ctx = ssl.create_default_context(cafile=str(proxy.ca))
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection(("127.0.0.1", HTTPS), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.selected_alpn_protocol() == "h2"


def test_oversize_body_gets_json_413(proxy: Proxy) -> None:
    resp = requests.post(
        proxy.url("/api/v1/items"), data=b"x" * (3 * 1024 * 1024), verify=str(proxy.ca), timeout=10
    )
    assert resp.status_code == 413
    assert resp.json()["code"] == 413
    ok = requests.post(
        proxy.url("/api/v1/items"), data=b"x" * (512 * 1024), verify=str(proxy.ca), timeout=10
    )
    assert ok.json()["size"] == 512 * 1024


def test_login_burst_gets_json_429(proxy: Proxy) -> None:
    with requests.Session() as session:
        codes = [
            session.post(proxy.url("/login"), data=b"{}", verify=str(proxy.ca), timeout=5)
            for _ in range(10)
        ]
        # Login and token endpoints share one budget per client address.
        token = session.post(proxy.url("/api/v1/auth/token"), verify=str(proxy.ca), timeout=5)
    statuses = [r.status_code for r in codes]
    assert statuses[:6] == [200] * 6  # one at the rate plus a burst of five
    assert set(statuses[6:]) == {429}
    assert codes[-1].json()["code"] == 429
    assert token.status_code == 429
    # Other endpoints are not limited, not even the auth routes that take no password.
    assert get(proxy, "/api/v1/items").status_code == 200
    assert get(proxy, "/api/v1/auth/me").status_code == 200
    refresh = requests.post(proxy.url("/api/v1/auth/refresh"), verify=str(proxy.ca), timeout=5)
    assert refresh.status_code == 200


def test_fingerprinted_static_cached_for_a_year(proxy: Proxy) -> None:
    (proxy.static / "app.0123abcd.css").write_text("body{}")
    resp = get(proxy, "/static/app.0123abcd.css")
    assert resp.status_code == 200
    assert resp.text == "body{}"
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "X-App-Color" not in resp.headers  # served by Nginx, not the app
    assert resp.headers["X-Content-Type-Options"] == "nosniff"  # headers survive add_header
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_plain_static_revalidates_and_missing_falls_back(proxy: Proxy) -> None:
    (proxy.static / "robots.txt").write_text("User-agent: *\n")
    resp = get(proxy, "/static/robots.txt")
    assert resp.headers["Cache-Control"] == "max-age=3600"
    fallback = get(proxy, "/static/not-on-disk.0123abcd.js")
    assert fallback.headers["X-App-Color"] == "blue"


def test_gzip_for_json(proxy: Proxy) -> None:
    resp = get(proxy, "/big", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    assert len(resp.json()["filler"]) == 200


def test_client_request_id_passed_through(proxy: Proxy) -> None:
    resp = get(proxy, "/", headers={"X-Request-ID": "abc-123.client"})
    assert resp.json()["request_id"] == "abc-123.client"
    assert resp.headers["X-Request-ID"] == "abc-123.client"


@pytest.mark.parametrize("sent", [None, "not an id; <script>", "x" * 200])
def test_request_id_generated_when_missing_or_unsafe(proxy: Proxy, sent: str | None) -> None:
    resp = get(proxy, "/", headers={"X-Request-ID": sent} if sent else {})
    generated = resp.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert resp.json()["request_id"] == generated


@pytest.mark.parametrize(
    "path", ["/metrics", "/metrics/", "//metrics", "/%6Detrics", "/a/../metrics"]
)
def test_metrics_not_reachable(proxy: Proxy, path: str) -> None:
    with socket.create_connection(("127.0.0.1", HTTPS), timeout=5) as raw:
        ctx = ssl.create_default_context(cafile=str(proxy.ca))
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            # A raw request, so the client cannot normalise the path before Nginx sees it.
            tls.sendall(
                f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
            )
            reply = b""
            while chunk := tls.recv(65536):
                reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404"), head
    assert b"X-App-Color" not in head
    assert b'"code": 404' in body
