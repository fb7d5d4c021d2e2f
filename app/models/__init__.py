"""SQLAlchemy models; importing this package registers every table on Base.metadata."""

from app.models.base import Base
from app.models.idempotency import IdempotencyRecord
from app.models.item import Item
from app.models.outbox import OutboxMessage
from app.models.session import UserSession
from app.models.token import RevokedToken
from app.models.upload import Upload
from app.models.user import User

__all__ = [
    "Base",
    "IdempotencyRecord",
    "Item",
    "OutboxMessage",
    "RevokedToken",
    "Upload",
    "User",
    "UserSession",
]
