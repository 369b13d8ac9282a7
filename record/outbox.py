"""Every outgoing message is queued here first, under an idempotency key.

Queuing the same key twice returns the first message: a retried task or a re-run flow
never sends anything twice. ``adapters.deliver`` sends what is queued.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.db import utcnow
from models.tables import Incident, Message
from record import audit

CHANNELS = ("sms", "slack", "email")


def queue(
    session: Session,
    *,
    channel: str,
    purpose: str,
    recipient: str,
    body: str,
    idempotency_key: str,
    incident: Incident | None = None,
    subject: str | None = None,
    meta: dict[str, Any] | None = None,
) -> tuple[Message, bool]:
    """Queue a message; return (message, created)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    found = session.scalar(select(Message).where(Message.idempotency_key == idempotency_key))
    if found is not None:
        return found, False
    message = Message(
        incident_id=incident.id if incident else None,
        channel=channel,
        purpose=purpose,
        recipient=recipient,
        subject=subject,
        body=body,
        meta=meta,
        idempotency_key=idempotency_key,
    )
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:
        again = session.scalar(select(Message).where(Message.idempotency_key == idempotency_key))
        if again is None:
            raise
        return again, False
    audit.record(
        session,
        actor="care",
        action="message.queue",
        incident_code=incident.code if incident else None,
        message=message.id,
        channel=channel,
        purpose=purpose,
    )
    return message, True


def mark(
    session: Session,
    message: Message,
    status: str,
    *,
    provider_id: str | None = None,
    error: str | None = None,
) -> None:
    """Record the outcome of a delivery attempt (``sent``, ``outbox``, ``failed``)."""
    message.status = status
    message.provider_id = provider_id or message.provider_id
    message.error = (error or "")[:200] or None
    if status in ("sent", "outbox"):
        message.sent_at = utcnow()
    incident_code = None
    if message.incident_id is not None:
        incident = session.get(Incident, message.incident_id)
        incident_code = incident.code if incident else None
    audit.record(
        session,
        actor="care",
        action=f"message.{status}",
        incident_code=incident_code,
        message=message.id,
        channel=message.channel,
    )
