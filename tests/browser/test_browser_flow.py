"""End to end in headless Chromium: register, sign in, create an item, upload, sign out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.support.live_server import LiveServer

PASSWORD = "a browser-made passphrase"
TIMEOUT_MS = 15_000


@pytest.fixture
def expected_errors() -> list[str]:
    """Console errors a test expects (e.g. the 400 of a refused form)."""
    return []


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, expected_errors: list[str]) -> Iterator[Page]:
    """A fresh browser context (no cookies) whose unexpected console errors fail the test."""
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        # CSP violations and script errors are reported on the console.
        if message.type == "error":
            problems.append(message.text)

    tab.on("console", watch)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    yield tab
    context.close()
    assert [p for p in problems if not any(e in p for e in expected_errors)] == [], problems


def register(page: Page, email: str) -> None:
    page.goto("/register")
    page.get_by_label("Name").fill("Browser user")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome! Your account is ready.")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("Signed out.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_register_login_create_upload_logout(page: Page, tmp_path: Path) -> None:
    register(page, "flow@example.com")
    sign_out(page)

    page.goto("/login")
    page.get_by_label("Email").fill("flow@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as flow@example.com.")).to_be_visible()

    page.get_by_role("link", name="New item").click()
    page.get_by_label("Title").fill("Made in <Chromium>")
    page.get_by_label("Body").fill("Typed by Playwright.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Item created.")).to_be_visible()
    expect(page.get_by_role("heading", name="Made in <Chromium>")).to_be_visible()
    page.get_by_role("link", name="Items", exact=True).click()
    expect(page.get_by_role("link", name="Made in <Chromium>")).to_be_visible()

    note = tmp_path / "notes.txt"
    note.write_text("uploaded straight to storage by the browser\n")
    page.get_by_role("link", name="Upload", exact=True).click()
    page.get_by_label("File").set_input_files(str(note))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#upload-status")).to_have_text(
        re.compile(r"Done: notes\.txt \(processed\)")
    )
    row = page.locator("#upload-list li", has_text="notes.txt")
    expect(row).to_contain_text("processed")
    download = row.get_by_role("link", name="notes.txt").get_attribute("href")
    assert download
    assert page.request.get(download).text() == note.read_text()

    sign_out(page)
    page.goto("/uploads")
    expect(page).to_have_url(re.compile(r"/login\?next=/uploads$"))


@pytest.mark.parametrize("expected_errors", [["status of 400"]])
def test_csrf_failure_is_shown_cleanly(page: Page, expected_errors: list[str]) -> None:
    page.goto("/login")
    page.eval_on_selector("input[name=csrf_token]", "field => { field.value = 'forged'; }")
    page.get_by_label("Email").fill("someone@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(lambda response: response.url.endswith("/login")) as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 400
    expect(page.get_by_role("heading", name="400")).to_be_visible()
    expect(
        page.get_by_text("This form has expired or did not come from this site.")
    ).to_be_visible()
    assert "Traceback" not in page.content()


def test_api_docs_work_under_the_csp(page: Page) -> None:
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Flask deployment kit API")
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/auth/token").first
    ).to_be_visible()


def test_french_browser_gets_french_pages(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    tab = context.new_page()
    tab.goto("/login")
    expect(tab.locator("html")).to_have_attribute("lang", "fr")
    expect(tab.get_by_role("heading", name="Se connecter")).to_be_visible()
    expect(tab.get_by_label("Mot de passe")).to_be_visible()
    context.close()
