"""Background jobs on RQ (`python -m app.worker`), inline when no Redis is configured."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from app.extensions import db
from app.jobs.metrics import JobQueueCollector
from app.jobs.outbox import relay
from app.observability.metrics import register_collector
from app.services.signals import user_registered

log = logging.getLogger(__name__)


def relay_outbox_now(_sender: Any = None, **_: Any) -> None:
    """Relay the outbox right after a commit that wrote to it (the worker relays what is left)."""
    try:
        relay()
    except Exception:  # the change is committed: it must not fail because of its jobs
        db.session.rollback()
        log.exception("outbox relay failed; the worker will relay later")


def init_jobs(app: Flask) -> None:
    """Subscribe the jobs to the app's signals (idempotent across apps), add the queue series."""
    user_registered.connect(relay_outbox_now)
    register_collector(app, JobQueueCollector())
    app.extensions["jobs"] = True
