"""Tasks the worker runs between jobs (RQ has no cron): each also a `flask` command for cron."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from app.extensions import db
from app.jobs.outbox import relay
from app.services import uploads

log = logging.getLogger(__name__)


def reap_stuck_uploads() -> int:
    """Fail uploads whose processing job was lost (UPLOAD_STUCK_SECONDS); return how many."""
    seconds = current_app.config["SETTINGS"].uploads.stuck_seconds
    reaped = uploads.reap_stuck(timedelta(seconds=seconds))
    if reaped:
        log.warning("%s upload(s) stuck in processing failed; they may be completed again", reaped)
    return reaped


def relay_outbox() -> int:
    """Queue the outbox messages a Redis outage held back; return how many."""
    relayed = relay()
    if relayed:
        log.info("%s outbox message(s) relayed", relayed)
    return relayed


def run_periodic_tasks() -> None:
    """Run every periodic task once; one failing never stops the others (or the worker)."""
    for task in (relay_outbox, reap_stuck_uploads):
        try:
            task()
        except Exception:
            db.session.rollback()
            log.exception("periodic task %s failed", task.__name__)
