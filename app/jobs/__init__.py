"""Background jobs on RQ (`python -m app.worker`), inline when no Redis is configured."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from app.jobs.email import send_welcome_email
from app.jobs.metrics import JobQueueCollector
from app.jobs.queue import JobsUnavailableError, enqueue
from app.models import User
from app.observability.metrics import register_collector
from app.services.signals import user_registered

log = logging.getLogger(__name__)


def queue_welcome_email(user: User, **_: Any) -> None:
    """Queue the welcome email for a new user; a Redis outage must not undo the sign-up."""
    try:
        enqueue(send_welcome_email, user.id)
    except JobsUnavailableError:
        log.error("welcome email for user %s not queued: jobs unavailable", user.id)


def init_jobs(app: Flask) -> None:
    """Subscribe the jobs to the app's signals (idempotent across apps), add the queue series."""
    user_registered.connect(queue_welcome_email)
    register_collector(app, JobQueueCollector())
    app.extensions["jobs"] = True
