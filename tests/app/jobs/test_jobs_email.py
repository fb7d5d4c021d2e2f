"""The welcome email: rendered from app/templates/email, sent through a real SMTP server."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest
from app_helpers import SERVICE_PORTS, make_settings, service_port
from flask import Flask

from app import create_app
from app.extensions import db
from app.jobs.email import email_environment, send_welcome_email
from app.models import User
from app.settings import SmtpSettings
from tests.support.smtp import Inbox, serving_smtp


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 in this suite's port range."""
    yield from serving_smtp(SERVICE_PORTS)


def smtp_app(port: int) -> Flask:
    """An app (no Redis: jobs run inline) sending mail to 127.0.0.1:PORT."""
    settings = make_settings().model_copy(
        update={"smtp": SmtpSettings(host="127.0.0.1", port=port, sender="Kit <kit@example.com>")}
    )
    application = create_app(settings)
    with application.app_context():
        db.create_all()
    return application


def test_welcome_email_is_rendered_and_delivered(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    app = smtp_app(port)
    with app.app_context():
        user = User(email="ada@example.com", name="Ada <script>")
        db.session.add(user)
        db.session.commit()
        assert send_welcome_email(user.id) == "sent"
    (message,) = inbox.messages
    assert message["To"] == "ada@example.com"
    assert message["From"] == "Kit <kit@example.com>"
    assert message["Subject"] == "Welcome to the Flask deployment kit, Ada <script>"
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    assert "ada@example.com" in parts["text/plain"]
    assert "Ada &lt;script&gt;" in parts["text/html"]  # autoescaped in HTML only
    assert "<script>" not in parts["text/html"]


def test_registration_sends_the_welcome_email(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    client = smtp_app(port).test_client()
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "new@example.com", "password": "a-long-enough-password"},
    )
    assert response.status_code == 201, response.get_json()
    assert [m["To"] for m in inbox.messages] == ["new@example.com"]


def test_smtp_failure_raises_so_the_job_is_retried() -> None:
    app = smtp_app(service_port())  # nothing listens there
    with app.app_context():
        user = User(email="nobody@example.com", name="Nobody")
        db.session.add(user)
        db.session.commit()
        with pytest.raises((smtplib.SMTPException, OSError)):
            send_welcome_email(user.id)


def test_without_smtp_host_the_email_is_only_logged() -> None:
    app = create_app(make_settings())
    with app.app_context():
        db.create_all()
        user = User(email="quiet@example.com", name="Quiet")
        db.session.add(user)
        db.session.commit()
        assert send_welcome_email(user.id) == "not-sent"
        assert send_welcome_email(999) == "skipped"


def test_email_templates_are_apart_from_web_templates(app: Flask) -> None:
    loader = email_environment().loader
    assert loader is not None
    assert "welcome.html" in loader.list_templates()
    assert "base.html" not in loader.list_templates()  # the web layout is not visible here
    assert email_environment() is not app.jinja_env
