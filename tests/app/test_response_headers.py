"""app/response_headers.py: several headers set in one pass, with assignment's meaning."""

from __future__ import annotations

from werkzeug.datastructures import Headers

from app.response_headers import put_headers


def test_absent_headers_are_added_present_ones_replaced() -> None:
    headers = Headers([("Content-Type", "application/json"), ("x-app-color", "stale")])
    put_headers(headers, [("X-App-Color", "blue"), ("X-Request-ID", "abc")])
    assert headers.getlist("X-App-Color") == ["blue"]  # replaced, whatever its case
    assert headers["X-Request-ID"] == "abc"
    assert headers["Content-Type"] == "application/json"
    assert len(headers) == 3


def test_a_header_set_twice_in_the_view_keeps_one_value() -> None:
    headers = Headers([("X-Frame-Options", "SAMEORIGIN"), ("X-Frame-Options", "ALLOW")])
    put_headers(headers, [("X-Frame-Options", "DENY")])
    assert headers.getlist("X-Frame-Options") == ["DENY"]
