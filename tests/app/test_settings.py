"""app/settings.py: environment parsing, embedded defaults, production refusals."""

from __future__ import annotations

import secrets

import pytest

from app.settings import AppEnv, ConfigError, _require, load_settings

GOOD_PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "3f9a1c7e5b2d4a6f8e0c1b3d5f7a9c2e",
    "DATABASE_URL": "postgresql://app:pw@db.internal:5432/app",
    "REDIS_URL": "redis://cache.internal:6379/0",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test from an environment without the app's variables."""
    for name in (
        "APP_ENV",
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "LOG_LEVEL",
        "APP_COLOR",
        "APP_VERSION",
        "LOG_REQUESTS",
        "DATABASE_CONNECT_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)


def set_env(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_development_defaults_need_nothing_set() -> None:
    settings = load_settings()
    assert settings.app_env is AppEnv.DEVELOPMENT
    assert settings.database.url == "sqlite:///dev.db"
    assert settings.redis.url == ""
    assert len(settings.secret_key) >= 32


def test_development_secret_key_is_random_per_process() -> None:
    assert load_settings().secret_key != load_settings().secret_key


def test_testing_defaults_to_in_memory_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "testing")
    assert load_settings().database.url == "sqlite://"


def test_production_accepts_real_values(monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, GOOD_PRODUCTION)
    settings = load_settings()
    assert settings.is_production
    assert settings.sqlalchemy_url == "postgresql+psycopg://app:pw@db.internal:5432/app"
    assert settings.secret_key == GOOD_PRODUCTION["SECRET_KEY"]


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL"])
def test_production_refuses_a_missing_variable(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    set_env(monkeypatch, {k: v for k, v in GOOD_PRODUCTION.items() if k != missing})
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert missing in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", "change-me-change-me-change-me"),
        ("SECRET_KEY", "<your secret key here>-------"),
        ("DATABASE_URL", "postgresql://user:changeme@host/db"),
        ("REDIS_URL", "redis://example.com:6379/0"),
        ("SECRET_KEY", "   "),
    ],
)
def test_production_refuses_placeholders(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    set_env(monkeypatch, {**GOOD_PRODUCTION, name: value})
    with pytest.raises(ConfigError, match=name):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", "change-me"),
        ("SECRET_KEY", "CHANGEME"),
        ("SECRET_KEY", "replace-me"),
        ("SECRET_KEY", "placeholder"),
        ("SECRET_KEY", "xxxxxxxxxxxxxxxxxxxx"),
        ("SECRET_KEY", "todo"),
        ("SECRET_KEY", "<your-secret-key>"),
        # The kit's own example files (k8s/overlays/dev/*.env.example):
        ("DATABASE_URL", "postgresql+psycopg://flaskkit_app:APP_PASSWORD@db.internal:5432/app"),
        ("DATABASE_URL", "postgresql+psycopg://flaskkit:PASSWORD@db.internal:5432/app"),
        ("DATABASE_URL", "postgresql://app:pw@db.example.com/app"),
    ],
)
def test_production_refuses_the_known_placeholders_exactly(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    set_env(monkeypatch, {**GOOD_PRODUCTION, name: value})
    with pytest.raises(ConfigError, match=f"{name} holds a placeholder"):
        load_settings()


def test_random_secret_keys_are_never_taken_for_placeholders() -> None:
    # token_urlsafe is what the kit's example tells operators to run; "xxx" and "todo" turn up
    # in about 0.2% of such keys, which a substring check refused.
    keys = [secrets.token_hex(32) for _ in range(10_000)]
    keys += [secrets.token_urlsafe(48) for _ in range(10_000)]
    refused = []
    for key in keys:
        try:
            _require("SECRET_KEY", key)
        except ValueError:
            refused.append(key)
    assert refused == []


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:s3cret-pw@todo-db.example.internal:5432/app",
        "postgresql://todo:xXx-real-password@db.internal/todo_app",
        "postgresql://app:pw@db.example-corp.com/app",
    ],
)
def test_real_urls_that_contain_placeholder_words_are_accepted(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    set_env(monkeypatch, {**GOOD_PRODUCTION, "DATABASE_URL": url})
    assert load_settings().database.url == url


def test_production_refuses_a_short_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, {**GOOD_PRODUCTION, "SECRET_KEY": "short"})
    with pytest.raises(ConfigError, match="SECRET_KEY is too short"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("APP_ENV", "staging", "APP_ENV"),
        ("APP_COLOR", "purple", "APP_COLOR"),
        ("DATABASE_CONNECT_TIMEOUT", "soon", "DATABASE_CONNECT_TIMEOUT"),
    ],
)
def test_invalid_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, named: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=named):
        load_settings()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_selects_psycopg(
    monkeypatch: pytest.MonkeyPatch, url: str, expected: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert load_settings().sqlalchemy_url == expected


def test_log_level_is_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "debug")
    assert load_settings().log_level == "DEBUG"
