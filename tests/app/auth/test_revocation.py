"""app/auth/revocation.py on real services: shared by workers, kept across restarts, no Redis."""

from __future__ import annotations

from app_helpers import make_settings
from flask import Flask
from web_helpers import bearer, get_tokens, make_user

from app import create_app
from app.extensions import db
from app.models import RevokedToken
from tests.support.redis_server import RedisServer

ME = "/api/v1/auth/me"


def two_workers(database_url: str, redis_url: str = "") -> tuple[Flask, Flask]:
    """Two app instances on the same services, as two gunicorn workers (or a restart) are."""
    return (
        create_app(make_settings(database_url, redis_url)),
        create_app(make_settings(database_url, redis_url)),
    )


def test_database_store_is_shared_and_survives_a_restart(pg_migrated: str) -> None:
    first, second = two_workers(pg_migrated)
    make_user(first, "pg-revoke@example.com")
    token = get_tokens(first.test_client(), "pg-revoke@example.com")["access_token"]
    assert second.test_client().get(ME, headers=bearer(token)).status_code == 200
    assert first.test_client().post("/api/v1/auth/revoke", headers=bearer(token)).status_code == 204
    refused = second.test_client().get(ME, headers=bearer(token))
    assert refused.get_json()["error"] == "token_revoked"
    restarted = create_app(make_settings(pg_migrated))
    assert restarted.test_client().get(ME, headers=bearer(token)).status_code == 401
    for app in (first, second, restarted):
        with app.app_context():
            db.engine.dispose()


def test_revocations_outlive_a_redis_outage(pg_migrated: str, own_redis: RedisServer) -> None:
    first, second = two_workers(pg_migrated, own_redis.url)
    user_id = make_user(first, "redis-revoke@example.com")
    token = get_tokens(first.test_client(), "redis-revoke@example.com")["access_token"]
    assert first.test_client().post("/api/v1/auth/revoke", headers=bearer(token)).status_code == 204
    assert second.test_client().get(ME, headers=bearer(token)).status_code == 401

    with first.app_context():
        row = db.session.scalars(
            db.select(RevokedToken).where(RevokedToken.user_id == user_id)
        ).one()
        remaining = (row.expires_at - row.revoked_at).total_seconds()
    assert 0 < remaining <= 15 * 60 + 1  # pruned once the token would have expired anyway

    fresh = get_tokens(first.test_client(), "redis-revoke@example.com")["access_token"]
    own_redis.stop()
    # Redis down: the revocation list is in the database, so tokens are still judged.
    assert second.test_client().get(ME, headers=bearer(fresh)).status_code == 200
    assert second.test_client().get(ME, headers=bearer(token)).status_code == 401
    assert second.test_client().get("/api/v1/items").status_code == 200
    for app in (first, second):
        with app.app_context():
            db.session.execute(db.text("TRUNCATE items, users, revoked_tokens CASCADE"))
            db.session.commit()
            db.engine.dispose()
