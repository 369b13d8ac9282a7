"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it received."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from models.settings import get_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Inbox:
    """What the server received; ``refuse`` makes it answer RCPT with that reply."""

    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: str | None = None
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        with self.arrived:
            self.messages.append(mail)
            self.arrived.notify_all()
        return "250 Message accepted"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)


@contextmanager
def smtp_server(*, configure: bool = True) -> Iterator[Inbox]:
    """Start a server on a free port; with ``configure`` point CARE's settings at it."""
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    if configure:
        os.environ["CARE_SMTP_HOST"] = "127.0.0.1"
        os.environ["CARE_SMTP_PORT"] = str(inbox.port)
        get_settings.cache_clear()
    try:
        yield inbox
    finally:
        controller.stop()
        if configure:
            os.environ.pop("CARE_SMTP_HOST", None)
            os.environ.pop("CARE_SMTP_PORT", None)
            get_settings.cache_clear()
