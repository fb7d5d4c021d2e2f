"""A real HTTP server running the app, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import CHROMIUM, CHROMIUM_ARGS, PORTS
from playwright.sync_api import Browser, Error, sync_playwright

from app import create_app
from app.extensions import db
from app.settings import AppEnv, DatabaseSettings, Settings
from tests.support.live_server import LiveServer


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on a SQLite file with local upload storage and eager jobs (no Redis, no S3)."""
    root: Path = tmp_path_factory.mktemp("browser-app")
    previous = os.environ.get("UPLOAD_LOCAL_DIR")
    os.environ["UPLOAD_LOCAL_DIR"] = str(root / "uploads")  # read by the uploads settings
    settings = Settings(
        app_env=AppEnv.TESTING,
        secret_key="browser-test-secret-key-0123456789",
        app_version="9.9.9-browser",
        database=DatabaseSettings(url=f"sqlite:///{root / 'app.db'}"),
        log_requests=False,
    )
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    server = LiveServer(app, PORTS)
    server.start()
    yield server
    server.stop()
    with app.app_context():
        db.engine.dispose()
    if previous is None:
        os.environ.pop("UPLOAD_LOCAL_DIR", None)
    else:
        os.environ["UPLOAD_LOCAL_DIR"] = previous


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium (no browser download: executable_path)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install chromium", pytrace=False)
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.fail(f"chromium could not start: {exc}", pytrace=False)
        yield chromium
        chromium.close()
