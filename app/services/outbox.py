"""Record work for the job queue in the caller's transaction (the transactional outbox).

A use case that must trigger a job (the welcome email of a new account) adds an outbox message
to the same transaction as its change: both are committed or neither. The jobs package relays
messages to RQ (app/jobs/outbox.py): at once when Redis answers, later when it did not. So a
job is never lost to a Redis outage between the commit and the enqueue.
"""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import OutboxMessage


def record(topic: str, **payload: Any) -> OutboxMessage:
    """Add a message about TOPIC to the current transaction (the caller commits)."""
    message = OutboxMessage(topic=topic, payload=payload)
    db.session.add(message)
    return message
