"""Every outgoing message is queued here first, under an idempotency key.

Queuing the same key twice returns the first message: a retried task or a re-run flow
never sends anything twice. ``adapters.deliver`` sends what is queued.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.db import utcnow
from models.settings import get_settings
from models.tables import Incident, Member, Message
from record import audit
from record.incidents import get_incident

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
    claimed: bool = False,
) -> tuple[Message, bool]:
    """Queue a message; return (message, created). ``claimed``: the caller sends it itself
    (a message found already queued is claimed too)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    found = session.scalar(select(Message).where(Message.idempotency_key == idempotency_key))
    if found is not None:
        if claimed:
            found.claimed_at = utcnow()
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
        claimed_at=utcnow() if claimed else None,
    )
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:
        again = session.scalar(select(Message).where(Message.idempotency_key == idempotency_key))
        if again is None:
            raise
        if claimed:
            again.claimed_at = utcnow()
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


# -- reading the outbox --------------------------------------------------------------------
CHANNEL_NAMES = {"sms": "SMS", "slack": "Slack", "email": "E-mail"}
STATUS_WORDS = {
    "pending": "waiting to be sent",
    "outbox": "kept in the outbox (no provider is set up)",
    "sent": "sent",
    "failed": "could not be sent",
    "cancelled": "not sent: the case was taken first",
}
TO_REPORTER = ("acknowledgement", "inform_reporter")


@dataclass(frozen=True)
class Sent:
    """One outgoing message as a member reads it."""

    id: int
    at: datetime
    channel: str
    recipient: str
    incident_code: str | None
    timezone: str
    subject: str | None
    body: str
    status: str


def read(
    session: Session,
    *,
    actor: str,
    via: str,
    incident_code: str | None = None,
    limit: int = 50,
    hide_incidents: Iterable[int] = (),
) -> list[Sent]:
    """The newest outgoing messages, decrypted; the reading goes into the audit trail."""
    query = select(Message).order_by(Message.created_at.desc(), Message.id.desc())
    incident = None
    if incident_code is not None:
        incident = get_incident(session, incident_code)
        query = query.where(Message.incident_id == incident.id)
    hidden = list(hide_incidents)
    if hidden:
        query = query.where(or_(Message.incident_id.is_(None), Message.incident_id.not_in(hidden)))
    rows = list(session.scalars(query.limit(max(1, min(limit, 1000)))))
    cases = {i.id: (i.code, i.event.timezone) for i in session.scalars(select(Incident))}
    names = _recipient_names(session)
    audit.record(
        session,
        actor=actor,
        action="outbox.view",
        incident_code=incident.code if incident else None,
        via=via,
        incident=incident.code if incident else None,
        limit=limit,
        shown=len(rows),
    )
    return [
        Sent(
            id=m.id,
            at=m.created_at,
            channel=CHANNEL_NAMES.get(m.channel, m.channel),
            recipient=_recipient(m, names),
            incident_code=cases[m.incident_id][0] if m.incident_id in cases else None,
            timezone=cases[m.incident_id][1] if m.incident_id in cases else "UTC",
            subject=m.subject,
            body=m.body,
            status=STATUS_WORDS.get(m.status, m.status),
        )
        for m in rows
    ]


def _recipient_names(session: Session) -> dict[tuple[str, str], str]:
    """Every member's addresses, to name a message's recipient by their handle."""
    names: dict[tuple[str, str], str] = {}
    for member in session.scalars(select(Member)):
        for channel, address in (
            ("sms", member.phone),
            ("email", member.email),
            ("slack", member.slack_user_id),
        ):
            if address:
                names[(channel, address.strip().lower())] = member.handle
    return names


def _recipient(message: Message, names: dict[tuple[str, str], str]) -> str:
    handle = names.get((message.channel, message.recipient.strip().lower()))
    if handle:
        return handle
    if message.purpose in TO_REPORTER:
        return f"the reporter, {message.recipient}"
    if message.channel == "slack" and (message.recipient or "care-team") in _team_channels():
        return f"the team channel{', ' + message.recipient if message.recipient else ''}"
    return message.recipient


def _team_channels() -> set[str]:
    return {get_settings().slack_team_channel or "", "care-team"} - {""}
