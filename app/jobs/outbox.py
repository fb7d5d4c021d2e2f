"""Relay outbox messages to RQ and deliver each once (the outbox itself: services/outbox.py).

relay() puts undelivered messages on the queue; it runs right after a commit that wrote one,
in the worker between jobs (app/jobs/periodic.py) and as `flask outbox-relay`. Rows are claimed
with FOR UPDATE SKIP LOCKED, so relays running at once never queue a message twice; a message
queued but never delivered (Redis lost the job) is queued again after REDELIVER_AFTER. The job,
deliver(), does nothing for a message already delivered: a message queued twice acts once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from app.extensions import db
from app.jobs.email import send_welcome_email
from app.jobs.queue import JobsUnavailableError, enqueue
from app.models import OutboxMessage
from app.models.base import utcnow
from app.services.users import USER_REGISTERED

log = logging.getLogger(__name__)
BATCH = 100
MAX_ATTEMPTS = 10  # then the message stays for an operator: it is never dropped silently
# Longer than a job's retries take with the defaults (WORKER_JOB_TIMEOUT x 4 + backoff).
REDELIVER_AFTER = timedelta(minutes=30)

# Topic -> the job body that handles its payload.
HANDLERS: dict[str, Callable[..., Any]] = {
    USER_REGISTERED: send_welcome_email,
}


def deliver(message_id: int) -> Any:
    """Job: run the handler of outbox message MESSAGE_ID unless it was delivered already."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.delivered_at is not None:
        return "already-delivered"
    handler = HANDLERS.get(message.topic)
    if handler is None:
        log.error("outbox message %s has no handler for topic %r", message_id, message.topic)
        return "no-handler"
    result = handler(**message.payload)  # errors propagate: RQ retries with backoff
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.delivered_at.is_(None))
        .values(delivered_at=utcnow())
    )
    db.session.commit()
    return result


def relay(limit: int = BATCH) -> int:
    """Queue up to LIMIT undelivered outbox messages; return how many were queued."""
    due = or_(
        OutboxMessage.relayed_at.is_(None), OutboxMessage.relayed_at < utcnow() - REDELIVER_AFTER
    )
    pending = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS, due)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    ids = [message.id for message in pending]
    queued = 0
    for message_id in ids:
        try:
            enqueue(deliver, message_id)
        except JobsUnavailableError:
            log.warning("outbox relay paused: jobs unavailable (%s message(s) wait)", len(ids))
            break
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(relayed_at=utcnow(), attempts=OutboxMessage.attempts + 1)
        )
        queued += 1
    db.session.commit()
    return queued
