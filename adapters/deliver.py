"""Send queued messages on their channel; without credentials they stay in the outbox.

Each channel's sender lives in its own module (``adapters.sms``, ``adapters.slack``,
``adapters.smtp``) and has the signature ``send(message: MessageOut) -> str`` returning the
provider's id, raising ``DeliveryError`` when the message cannot be delivered; ``sender``
is the one table from channel to sender. The shared types live in ``adapters.outgoing``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, update

from adapters.outgoing import DeliveryError, MessageOut
from models import db
from models.db import utcnow
from models.settings import Settings, get_settings
from models.tables import Message
from record import outbox

log = logging.getLogger("care.deliver")
CLAIM_TTL = timedelta(minutes=5)


def configured(channel: str, settings: Settings) -> bool:
    """Whether the channel has provider credentials (else: the outbox)."""
    if channel == "sms":
        return bool(settings.twilio_account_sid and settings.twilio_auth_token)
    if channel == "slack":
        return settings.slack_bot_token is not None
    if channel == "email":
        return settings.smtp_host is not None
    return False


def sender(channel: str) -> Callable[[MessageOut], str]:
    """The one sender table: the ``send`` function of the channel's adapter."""
    if channel == "sms":
        from adapters.sms import send as send_sms

        return send_sms
    if channel == "slack":
        from adapters.slack import send as send_slack

        return send_slack
    from adapters.smtp import send as send_mail

    return send_mail


def deliver(message_id: int) -> str:
    """Deliver one queued message once; return its status afterwards.

    The message is claimed first (one UPDATE), so two callers at the same moment, a
    retried task and a re-run flow, say, never both send it. A claim left by a sender
    that died is taken over after CLAIM_TTL.
    """
    claimed = _claim(message_id)
    if isinstance(claimed, str):
        return claimed
    settings = get_settings()
    if not configured(claimed.channel, settings):
        log.info("outbox: message %s (%s, %s)", claimed.id, claimed.channel, claimed.purpose)
        return _mark(claimed.id, "outbox")
    try:
        provider_id = sender(claimed.channel)(claimed)
    except DeliveryError as exc:
        _mark(claimed.id, "failed", error=str(exc))
        raise
    except BaseException:
        _release(claimed.id)
        raise
    return _mark(claimed.id, "sent", provider_id=provider_id)


def _claim(message_id: int) -> MessageOut | str:
    """Claim a message for sending; return it, or its status if it is not ours to send."""
    now = utcnow()
    with db.session_scope() as session:
        claimed = session.execute(  # type: ignore[attr-defined]
            update(Message)
            .where(
                Message.id == message_id,
                Message.status.in_(("pending", "failed")),
                or_(Message.claimed_at.is_(None), Message.claimed_at < now - CLAIM_TTL),
            )
            .values(claimed_at=now)
        ).rowcount
        message = session.get(Message, message_id)
        if message is None:
            raise ValueError(f"no message {message_id}")
        if not claimed:
            return message.status if message.status != "pending" else "sending"
        return MessageOut(
            id=message.id,
            channel=message.channel,
            purpose=message.purpose,
            recipient=message.recipient,
            subject=message.subject,
            body=message.body,
            meta=message.meta or {},
            idempotency_key=message.idempotency_key,
        )


def _release(message_id: int) -> None:
    with db.session_scope() as session:
        session.execute(update(Message).where(Message.id == message_id).values(claimed_at=None))


def _mark(message_id: int, status: str, **kw: Any) -> str:
    with db.session_scope() as session:
        message = session.get(Message, message_id)
        assert message is not None
        outbox.mark(session, message, status, **kw)
        message.claimed_at = None
    return status
