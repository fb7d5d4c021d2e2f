"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it receives."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.servers import fail, free_port


class Inbox:
    """An aiosmtpd handler keeping every received message."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message and accept it."""
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def serving_smtp(port_range: tuple[int, int]) -> Iterator[tuple[Inbox, int]]:
    """Yield a started SMTP server's inbox and port, then stop it (use with `yield from`)."""
    inbox, port = Inbox(), free_port(port_range)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    try:
        controller.start()
    except Exception as exc:
        fail(f"aiosmtpd: {exc}")
    yield inbox, port
    controller.stop()
