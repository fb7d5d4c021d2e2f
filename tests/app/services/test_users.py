"""app/services/users.py: sign-in and account edge cases that requests rarely reach."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_helpers import make_settings
from flask import Flask
from web_helpers import PASSWORD, get_tokens, make_user

from app import create_app
from app.extensions import db
from app.models import User
from app.security.passwords import verify_password
from app.services import users as service
from app.services.errors import ConflictError
from app.services.users import ensure_admin
from app.settings import AuthSettings


def test_authenticate_refuses_malformed_addresses_quietly(app: Flask) -> None:
    make_user(app, "real@example.com")
    with app.app_context():
        assert service.authenticate("not an address", PASSWORD) is None
        assert service.authenticate("real@example.com", PASSWORD) is not None


@pytest.mark.parametrize("user_id", ["abc", None, "0", str(2**40), "-3"])
def test_load_active_user_ignores_bad_ids(app: Flask, user_id: str | None) -> None:
    with app.app_context():
        assert service.load_active_user(user_id) is None  # type: ignore[arg-type]


def test_a_lost_registration_race_is_a_conflict(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(app, "race@example.com")
    with app.app_context():
        # Both requests passed the existence check; the unique index decides.
        monkeypatch.setattr(service, "find_by_email", lambda _address: None)
        with pytest.raises(ConflictError):
            service.register_user("race@example.com", PASSWORD)


def test_raising_the_argon2_cost_upgrades_hashes_at_sign_in(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cost.db'}"
    cheap = create_app(make_settings(url, auth=AuthSettings(argon2_memory_kib=8 * 1024)))
    with cheap.app_context():
        db.create_all()
    user_id = make_user(cheap, "cost@example.com")
    with cheap.app_context():
        old_hash = db.session.get(User, user_id).password_hash
        db.engine.dispose()
    assert "m=8192" in old_hash
    # The next release raises the memory cost; the database stays the same.
    stronger = create_app(make_settings(url, auth=AuthSettings(argon2_memory_kib=16 * 1024)))
    get_tokens(stronger.test_client(), "cost@example.com")
    with stronger.app_context():
        new_hash = db.session.get(User, user_id).password_hash
        db.engine.dispose()
    assert "m=16384" in new_hash
    assert verify_password(new_hash, PASSWORD)


def test_ensure_admin_reports_no_change_for_an_existing_admin(app: Flask) -> None:
    with app.app_context():
        user, changed = ensure_admin("boss@example.com", "a very long password")
        assert changed
        again, changed = ensure_admin("BOSS@example.com", "another long password")
        assert again.id == user.id
        assert not changed
