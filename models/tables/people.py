"""Who: the conference editions, the team's members, their shifts and console sessions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.crypto import EncryptedText
from models.db import utcnow
from models.tables.base import Base


class Event(Base):
    """One edition of a conference."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    code_prefix: Mapped[str] = mapped_column(String(12), unique=True)
    series: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    attendees: Mapped[int | None]
    # the escalation policy as data (policy.escalation); null: the default policy
    escalation_policy: Mapped[dict[str, Any] | None]
    next_incident_number: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Member(Base):
    """A CARE team member. Handles are used in the record; everything else is encrypted."""

    __tablename__ = "members"
    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(EncryptedText())
    phone: Mapped[str | None] = mapped_column(EncryptedText())
    email: Mapped[str | None] = mapped_column(EncryptedText())
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText())
    totp_last_step: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None]


class OnCallShift(Base):
    __tablename__ = "oncall_shifts"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    tier: Mapped[str] = mapped_column(String(16))  # primary | secondary
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    member: Mapped[Member] = relationship(lazy="joined")


class ConsoleSession(Base):
    """A member signed in to the console; the cookie holds only a signed random token."""

    __tablename__ = "console_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
