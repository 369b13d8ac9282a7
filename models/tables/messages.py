"""What is said: conversations with a party, urgent pages, messages in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.crypto import EncryptedJSON, EncryptedText
from models.db import utcnow
from models.tables.base import Base


class Conversation(Base):
    """A conversation held by two members with one party."""

    __tablename__ = "conversations"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    member_a_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    member_b_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    purpose: Mapped[str] = mapped_column(String(32), default="resolution")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


class Page(Base):
    """One page of a member about an urgent incident, on one channel."""

    __tablename__ = "pages"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    round_index: Mapped[int]
    channel: Mapped[str] = mapped_column(String(16))  # sms | slack | email
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(24), default="queued")
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]


class Message(Base):
    """Every outgoing message (to a reporter, a party, an executor, the team, a member).

    The idempotency key makes a retried or re-run step send nothing twice. Without
    provider credentials a message stays here with status ``outbox``.
    """

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # sms | slack | email
    purpose: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(EncryptedText())
    subject: Mapped[str | None] = mapped_column(EncryptedText())
    body: Mapped[str] = mapped_column(EncryptedText())
    # channel extras: e-mail threading headers, Slack blocks
    meta: Mapped[Any | None] = mapped_column(EncryptedJSON())
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    provider_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # set when a sender claims the message, so two senders never both send it
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class InboundMessage(Base):
    """Inbound deliveries already seen (Twilio MessageSid, Slack event_id, signature digest)."""

    __tablename__ = "inbound_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("source", "key"),)
