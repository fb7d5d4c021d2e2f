"""app/probes.py and the layers that read it: probes skip sessions, nonces and limits."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, session
from flask.sessions import NullSession
from flask.testing import FlaskClient
from flask_limiter import Limiter

from app.extensions import limiter
from app.observability.metrics import LATENCY, REQUESTS
from app.probes import PROBE_PATHS

HTML = {"Accept": "text/html"}


def script_src(response: Any) -> list[str]:
    """Return the script-src sources of a response's CSP."""
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        if name == "script-src":
            return sources
    raise AssertionError("no script-src")


def signed_cookie(app: Flask) -> str:
    """Return a session cookie value the app signed, holding one key."""
    with app.test_request_context("/"):
        session["seen"] = True
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        return str(serializer.dumps(dict(session)))


@pytest.mark.parametrize("path", sorted(PROBE_PATHS))
def test_probes_open_no_session_and_set_no_cookie(
    app: Flask, client: FlaskClient, path: str
) -> None:
    client.set_cookie("session", signed_cookie(app))
    response = client.get(path)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    with app.test_request_context(path):
        assert isinstance(session._get_current_object(), NullSession)  # type: ignore[attr-defined]
    with app.test_request_context("/login"):
        assert not isinstance(session._get_current_object(), NullSession)  # type: ignore[attr-defined]


def test_a_page_still_reads_and_writes_its_session(client: FlaskClient) -> None:
    page = client.get("/login", headers=HTML)
    assert "session=" in page.headers["Set-Cookie"]  # the CSRF token lives in the session


@pytest.mark.parametrize("path", sorted(PROBE_PATHS))
def test_probes_get_nosniff_and_no_document_policy(client: FlaskClient, path: str) -> None:
    probe = client.get(path)
    assert probe.status_code == 200
    assert probe.headers["X-Content-Type-Options"] == "nosniff"
    for header in ("Content-Security-Policy", "X-Frame-Options", "Referrer-Policy"):
        assert header not in probe.headers  # no browser renders a probe's answer


def test_pages_get_a_fresh_nonce_each(client: FlaskClient) -> None:
    first, second = (script_src(client.get("/login", headers=HTML)) for _ in range(2))
    assert first[0] == second[0] == "'self'"
    assert first[1].startswith("'nonce-")
    assert second[1].startswith("'nonce-")
    assert first[1] != second[1]


def test_templates_get_the_nonce_of_the_header(app: Flask) -> None:
    nonce_in_page = app.jinja_env.from_string("{{ csp_nonce() }}")
    with app.test_request_context("/"):
        rendered = nonce_in_page.render()
        response = app.process_response(app.make_response("page"))
    assert f"'nonce-{rendered}'" in response.headers["Content-Security-Policy"]


def test_limits_are_resolved_only_where_a_limit_applies(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str | None] = []
    original = limiter._check_request_limit

    def counting(*args: Any, **kwargs: Any) -> None:
        calls.append(kwargs.get("callable_name"))
        original(*args, **kwargs)

    monkeypatch.setattr(limiter, "_check_request_limit", counting)
    contexts: list[Any] = []  # the limiter's per-request state, built on first use
    real_context = Limiter.context
    monkeypatch.setattr(
        Limiter, "context", property(lambda lim: _note(contexts, real_context, lim))
    )
    for path in ("/healthz", "/readyz", "/metrics", "/api/v1/items", "/"):
        assert client.get(path).status_code == 200
    assert calls == []
    assert contexts == []  # nor its response and teardown hooks
    answer = client.post("/api/v1/auth/token", json={"email": "a@example.com", "password": "x"})
    assert answer.status_code == 401
    assert len(calls) == 1  # the sign-in view's own limit, checked by its decorator
    assert "X-RateLimit-Limit" in answer.headers  # its response hook ran
    assert contexts
    assert contexts[-1].view_rate_limit is None  # and its teardown reset the context
    assert not contexts[-1].seen_limits


def _note(seen: list[Any], prop: Any, limiter_: Limiter) -> Any:
    """Return PROP's value for LIMITER_, remembered in SEEN."""
    value = prop.fget(limiter_)
    seen.append(value)
    return value


def test_probes_are_still_counted(client: FlaskClient) -> None:
    series = REQUESTS.labels("GET", "/healthz", "200")
    before = series._value.get()
    client.get("/healthz")
    client.get("/healthz")
    assert series._value.get() == before + 2


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probe_answers_are_never_cached(client: FlaskClient, path: str) -> None:
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_a_request_pays_one_hook_per_concern(app: Flask) -> None:
    hooks = [f"{h.__module__}.{h.__name__}" for h in app.before_request_funcs.get(None, [])]
    # The request id and the metrics timer share one start; Flask-WTF's own check (a no-op
    # without WTF_CSRF_CHECK_DEFAULT) is dropped for the kit's enforce_csrf.
    assert hooks == ["app.observability.requests._start", "app.security.csrf.enforce_csrf"]


def test_request_latency_is_still_observed(client: FlaskClient) -> None:
    series = LATENCY.labels("GET", "/healthz", "200")
    before = series._sum.get()
    client.get("/healthz")
    assert series._sum.get() > before
