"""The welcome email: Jinja templates from app/templates/email, sent with smtplib."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from functools import cache
from pathlib import Path

from flask import current_app
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.extensions import db
from app.models import User
from app.settings import SmtpSettings

log = logging.getLogger(__name__)

EMAIL_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"


@cache
def email_environment() -> Environment:
    """Return the Jinja environment of email templates (apart from the web templates)."""
    return Environment(
        loader=FileSystemLoader(EMAIL_TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a missing variable is a bug, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_welcome(user: User, sender: str) -> EmailMessage:
    """Build the welcome message (text with an HTML alternative) for USER."""
    env = email_environment()
    context = {"name": user.name or user.email.split("@")[0], "email": user.email}
    message = EmailMessage()
    message["Subject"] = env.get_template("welcome.subject.txt").render(context).strip()
    message["From"] = sender
    message["To"] = user.email
    message["Message-ID"] = make_msgid(domain="flask-deploy-kit")
    message.set_content(env.get_template("welcome.txt").render(context))
    message.add_alternative(env.get_template("welcome.html").render(context), subtype="html")
    return message


def deliver(message: EmailMessage, smtp: SmtpSettings) -> None:
    """Send MESSAGE through the configured relay (STARTTLS and login when configured)."""
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, smtp.password)
        client.send_message(message)


def send_welcome_email(user_id: int) -> str:
    """Job: send the welcome email to user USER_ID; return what happened."""
    user = db.session.get(User, user_id)
    if user is None:
        log.warning("welcome email skipped: user %s no longer exists", user_id)
        return "skipped"
    smtp: SmtpSettings = current_app.config["SETTINGS"].smtp
    message = render_welcome(user, smtp.sender)
    if not smtp.host:
        log.info("SMTP_HOST is not set; welcome email for user %s not sent", user_id)
        return "not-sent"
    deliver(message, smtp)  # SMTP errors propagate: RQ retries with backoff
    log.info("welcome email sent to user %s", user_id)
    return "sent"
