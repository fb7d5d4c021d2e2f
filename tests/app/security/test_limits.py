"""app/security/limits.py: sign-in and registration limits, with and without Redis."""

from __future__ import annotations

import time

import pytest
from app_helpers import make_settings
from flask import Flask
from flask.testing import FlaskClient
from web_helpers import HTML, PASSWORD, csrf_from, make_user

from app import create_app
from app.extensions import db, limiter
from app.security.limits import account_key, storage_healthy
from app.settings import AuthSettings
from tests.support.redis_server import RedisServer

TOKEN = "/api/v1/auth/token"
REGISTER = "/api/v1/auth/register"
TIGHT = AuthSettings(login_rate_limit="3/minute", register_rate_limit="2/minute")


def limited_app(redis_url: str = "", auth: AuthSettings = TIGHT) -> Flask:
    """An app with small limits (AUTH) on a fresh SQLite database."""
    app = create_app(make_settings(redis_url=redis_url, auth=auth))
    with app.app_context():
        db.create_all()
    return app


WRONG = "wrong password"


def attempt(client: FlaskClient, password: str = WRONG, ip: str = "10.0.0.1") -> int:
    """Try to get a token as user@example.com from IP; return the status."""
    response = client.post(
        TOKEN,
        json={"email": "user@example.com", "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )
    return response.status_code


def assert_429(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 429
    assert response.get_json()["error"] == "too_many_requests"
    assert "Too many attempts" in response.get_json()["message"]
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.headers["X-RateLimit-Limit"] == "3"


def test_token_endpoint_is_limited_per_ip() -> None:
    app = limited_app()
    make_user(app, "user@example.com")
    client = app.test_client()
    assert [attempt(client, PASSWORD) for _ in range(3)] == [200, 200, 200]
    assert_429(
        client.post(
            TOKEN,
            json={"email": "user@example.com", "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )
    )
    assert attempt(client, PASSWORD, ip="10.0.0.2") == 200  # another address has its own budget


def test_failures_from_everywhere_never_lock_the_owner_out() -> None:
    app = limited_app()
    make_user(app, "user@example.com")
    client = app.test_client()
    # Far more failures than any per-account limit would allow, from many addresses...
    assert {attempt(client, ip=f"10.1.{n // 4}.{n % 4}") for n in range(60)} == {401}
    # ...and the owner, from their own address, still signs in with the right password.
    assert attempt(client, PASSWORD, ip="10.1.99.1") == 200


BACKOFF = AuthSettings(login_rate_limit="100/minute", login_backoff_after=2)


def test_a_client_that_keeps_failing_backs_off_longer_each_time() -> None:
    app = limited_app(auth=BACKOFF)
    make_user(app, "user@example.com")
    client = app.test_client()
    assert [attempt(client) for _ in range(3)] == [401, 401, 401]  # 2 free, the 3rd: wait 1 s
    waiting = client.post(
        TOKEN,
        json={"email": "user@example.com", "password": PASSWORD},  # even the right one waits
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert waiting.status_code == 429
    assert waiting.get_json()["error"] == "too_many_requests"
    assert int(waiting.headers["Retry-After"]) >= 1
    assert attempt(client, PASSWORD, ip="10.0.0.2") == 200  # the owner elsewhere: no wait
    time.sleep(1.1)
    assert attempt(client) == 401  # the 4th failure: wait 2 s
    assert attempt(client, PASSWORD) == 429
    time.sleep(1.1)
    assert attempt(client, PASSWORD) == 429  # longer than the last wait
    time.sleep(1.0)
    assert attempt(client, PASSWORD) == 200  # a success forgets the failures
    assert [attempt(client) for _ in range(3)] == [401, 401, 401]


def test_the_limit_keys_on_the_address_sign_in_compares() -> None:
    app = limited_app(auth=BACKOFF)
    make_user(app, "user@example.com")
    client = app.test_client()
    fullwidth = {"email": "USER@\uff45xample.com", "password": WRONG}  # the same account
    assert [attempt(client) for _ in range(3)] == [401, 401, 401]
    assert (
        client.post(TOKEN, json=fullwidth, environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code
        == 429
    )
    with app.test_request_context(TOKEN, method="POST", json=fullwidth):
        assert account_key() == "account:user@example.com"


def test_successful_sign_ins_do_not_use_the_account_budget() -> None:
    app = limited_app()
    make_user(app, "user@example.com")
    client = app.test_client()
    assert [attempt(client, PASSWORD, ip=f"10.2.0.{n}") for n in range(5)] == [200] * 5


def test_page_and_api_share_the_sign_in_budget() -> None:
    app = limited_app()
    client = app.test_client()
    assert attempt(client) == 401
    assert attempt(client) == 401
    token = csrf_from(client.get("/login", headers=HTML).get_data(as_text=True))
    form = {"email": "x@example.com", "password": "y", "csrf_token": token}
    assert (
        client.post(
            "/login", data=form, headers=HTML, environ_base={"REMOTE_ADDR": "10.0.0.1"}
        ).status_code
        == 401
    )
    page = client.post("/login", data=form, headers=HTML, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert page.status_code == 429
    assert page.mimetype == "text/html"
    assert page.headers["Retry-After"]
    assert client.get("/login", headers=HTML).status_code == 200  # showing the form is free


def test_registration_is_limited() -> None:
    client = limited_app().test_client()
    statuses = [
        client.post(REGISTER, json={"email": f"r{n}@example.com", "password": PASSWORD}).status_code
        for n in range(3)
    ]
    assert statuses == [201, 201, 429]


def test_redis_counters_are_shared_by_workers(own_redis: RedisServer) -> None:
    first, second = limited_app(own_redis.url), limited_app(own_redis.url)
    assert attempt(first.test_client()) == 401
    assert attempt(second.test_client()) == 401
    assert attempt(first.test_client()) == 401
    assert attempt(second.test_client()) == 429  # one budget across both "workers"
    keys = first.extensions["redis_client"].get().keys("*kit-limits*")
    assert keys


def test_back_off_is_shared_by_workers(own_redis: RedisServer) -> None:
    # One in-memory SQLite per app: the user exists in neither.
    first, second = limited_app(own_redis.url, BACKOFF), limited_app(own_redis.url, BACKOFF)
    assert [attempt(first.test_client()) for _ in range(3)] == [401, 401, 401]
    assert attempt(second.test_client()) == 429
    assert first.extensions["redis_client"].get().keys("*kit-backoff*")


def test_redis_down_sign_in_fails_open_registration_fails_closed(own_redis: RedisServer) -> None:
    app = limited_app(own_redis.url)
    make_user(app, "user@example.com")
    client = app.test_client()
    assert attempt(client, PASSWORD) == 200
    own_redis.stop()

    # Sign-in keeps working on per-process counters, which still enforce the limit.
    assert [attempt(client, PASSWORD) for _ in range(3)] == [200, 200, 200]
    assert attempt(client, PASSWORD) == 429
    # Registration refuses to run without its shared counters: a clear 503, not a 500.
    refused = client.post(REGISTER, json={"email": "new@example.com", "password": PASSWORD})
    assert refused.status_code == 503
    assert refused.get_json()["error"] == "service_unavailable"
    assert refused.headers["Retry-After"] == "5"
    with app.app_context():
        assert not storage_healthy()

    own_redis.start()
    with app.app_context():
        assert storage_healthy()
    back = client.post(REGISTER, json={"email": "new@example.com", "password": PASSWORD})
    assert back.status_code == 201


def test_account_key_survives_hostile_bodies(app: Flask) -> None:
    deep = b"[" * 5000 + b"]" * 5000
    with app.test_request_context(
        "/api/v1/auth/token", method="POST", data=deep, content_type="application/json"
    ):
        assert account_key().startswith("ip:")
    with app.test_request_context("/login", method="POST", data={"email": " Who@Example.com "}):
        assert account_key() == "account:who@example.com"


def test_storage_errors_count_as_unhealthy(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> bool:
        raise ConnectionError("refused")

    with app.app_context():
        assert storage_healthy()
        monkeypatch.setattr(limiter.storage, "check", broken)
        assert not storage_healthy()
