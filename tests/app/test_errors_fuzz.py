"""Walk every route in app.url_map with malformed input: never a 500, always JSON on the API."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ARGUMENTS = {
    "int": ["1", "0", str(2**31), str(2**80)],
    "default": ["x", "%00", "..%2F..%2Fetc%2Fpasswd", "a" * 300],
    "path": ["x", "..%2F..%2Fapp%2Fsettings.py", "vendor/swagger-ui/missing.js", "%00"],
}
BODIES: list[tuple[bytes, str | None]] = [
    (b"", None),
    (b'{"title": ', "application/json"),  # truncated JSON
    (b"\xff\xfe\x00", "application/json"),  # not UTF-8
    (b"[]", "application/json"),
    (b"null", "application/json"),
    (b'"string"', "application/json"),
    (b'{"owner_id": 1e999, "title": {"$gt": ""}}', "application/json"),
    (b"[" * 5000 + b"]" * 5000, "application/json"),  # deep nesting
    (b'{"title": "x"}', "text/plain"),
    (b"title=x&body=y", "application/x-www-form-urlencoded"),
    (b"x" * (1024 * 1024 + 10), "application/json"),  # oversize
]
QUERIES = [
    "",
    "page=-1&page_size=abc",
    "owner_id=%00&sort=%27;drop&q=%25%00",
    "created_after=9999-99-99&created_before=now",
    "page=1&page=2&page_size=1e9",
]


def urls(rule: Rule) -> Iterator[str]:
    """Yield concrete paths for RULE with hostile values for each argument."""
    converters = {name: type(conv).__name__ for name, conv in rule._converters.items()}
    if not converters:
        yield rule.rule
        return
    for name, converter in converters.items():
        kind = {"IntegerConverter": "int", "PathConverter": "path"}.get(converter, "default")
        for value in ARGUMENTS[kind]:
            yield re.sub(r"<[^>]+>", value, rule.rule.replace(f"<{converter}:{name}>", value))


def assert_sane(response, method: str, path: str) -> None:  # type: ignore[no-untyped-def]
    where = f"{method} {path} -> {response.status_code}"
    assert response.status_code < 500, where
    assert response.headers.get("X-Request-ID"), where
    if path.startswith("/api/") and response.status_code >= 400 and method != "HEAD":
        assert response.mimetype == "application/json", where
        body = response.get_json()
        assert {"error", "message", "request_id"} <= set(body), where
    text = response.get_data(as_text=True)
    assert "Traceback" not in text, where
    response.close()


def walk(app: Flask, client: FlaskClient) -> int:
    """Send every combination; return how many requests were made."""
    sent = 0
    rules = list(app.url_map.iter_rules())
    assert len(rules) >= 8
    for rule in rules:
        for path in urls(rule):
            for method in METHODS:
                for query in QUERIES:
                    target = f"{path}?{query}" if query else path
                    assert_sane(client.open(target, method=method), method, target)
                    sent += 1
                if method in ("POST", "PUT", "PATCH", "DELETE"):
                    for data, content_type in BODIES:
                        response = client.open(
                            path, method=method, data=data, content_type=content_type
                        )
                        assert_sane(response, method, path)
                        sent += 1
    return sent


def test_no_route_answers_500_on_sqlite(app: Flask, client: FlaskClient, owner: int) -> None:
    client.post("/api/v1/items", json={"owner_id": owner, "title": "exists"})
    assert walk(app, client) > 1000


@pytest.mark.usefixtures("pg_migrated")
def test_no_route_answers_500_on_postgres(pg_app: Flask, pg_client: FlaskClient) -> None:
    assert walk(pg_app, pg_client) > 1000
