"""An incident and what it holds: reports, attachments, parties, conflicts, notes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.crypto import EncryptedBytes, EncryptedText
from models.db import utcnow
from models.tables.base import Base

if TYPE_CHECKING:
    from models.tables.people import Event, Member


class Incident(Base):
    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(32), default="reported")
    urgent: Mapped[bool] = mapped_column(default=False)
    category: Mapped[str | None] = mapped_column(String(64))
    location: Mapped[str | None] = mapped_column(EncryptedText())
    happened_in_public: Mapped[bool | None]
    law_enforcement_involved: Mapped[bool] = mapped_column(default=False)
    first_responder_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    escalation_flow_run_id: Mapped[str | None] = mapped_column(String(64))
    # when a member acknowledged the urgent page: paging stops
    urgent_acknowledged_at: Mapped[datetime | None]
    # the team's anonymised summary, for the transparency report
    summary: Mapped[str | None] = mapped_column(EncryptedText())
    # milestones
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    urgent_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]
    # the receipt sent to the reporter (column named for the guide's "acknowledged")
    receipt_sent_at: Mapped[datetime | None] = mapped_column("acknowledged_at")
    first_response_at: Mapped[datetime | None]
    review_started_at: Mapped[datetime | None]
    resolution_approved_at: Mapped[datetime | None]
    reporter_informed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    event: Mapped[Event] = relationship(lazy="joined")
    reports: Mapped[list[Report]] = relationship(back_populates="incident", order_by="Report.id")
    parties: Mapped[list[Party]] = relationship(order_by="Party.id")


class Report(Base):
    """One report of an incident, from one channel; several may describe one incident."""

    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # web | slack | email | staff | sms
    # sha256 of the channel's own message id: a second delivery is recognised
    channel_message_key: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    anonymous: Mapped[bool] = mapped_column(default=False)
    reporter_name: Mapped[str | None] = mapped_column(EncryptedText())
    reporter_contact: Mapped[str | None] = mapped_column(EncryptedText())
    contact_kind: Mapped[str | None] = mapped_column(String(16))  # email | slack | phone
    consent_to_contact: Mapped[bool] = mapped_column(default=False)
    relayed_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    urgent: Mapped[bool] = mapped_column(default=False)
    narrative: Mapped[str] = mapped_column(EncryptedText())
    when_text: Mapped[str | None] = mapped_column(EncryptedText())
    where_text: Mapped[str | None] = mapped_column(EncryptedText())
    involved_text: Mapped[str | None] = mapped_column(EncryptedText())
    witnesses_text: Mapped[str | None] = mapped_column(EncryptedText())
    thread_ref: Mapped[str | None] = mapped_column(EncryptedText())  # e-mail Message-ID etc.
    # the receipt sent to the reporter (column named for the guide's "acknowledged")
    receipt_sent_at: Mapped[datetime | None] = mapped_column("acknowledged_at")
    incident: Mapped[Incident] = relationship(back_populates="reports")
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id")


class Attachment(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    filename: Mapped[str | None] = mapped_column(EncryptedText())
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int]
    content: Mapped[bytes | None] = mapped_column(EncryptedBytes())


class Party(Base):
    """Someone involved, known within the incident by a pseudonym such as P1."""

    __tablename__ = "parties"
    __table_args__ = (UniqueConstraint("incident_id", "pseudonym"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # reporter | target | witness | reported
    pseudonym: Mapped[str] = mapped_column(String(8))
    name: Mapped[str | None] = mapped_column(EncryptedText())
    contact: Mapped[str | None] = mapped_column(EncryptedText())
    description: Mapped[str | None] = mapped_column(EncryptedText())
    # what can identify a party besides the name: the leak guard looks for these too
    organisation: Mapped[str | None] = mapped_column(EncryptedText())
    talk_title: Mapped[str | None] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # two entries found to be one person: this one now stands for the party it names
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    merged_at: Mapped[datetime | None]


class ConflictDeclaration(Base):
    __tablename__ = "conflicts"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    reason: Mapped[str | None] = mapped_column(EncryptedText())  # members need not say why
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the team may let a member with a minor conflict take part: a decision of its own
    waived_by_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    member: Mapped[Member] = relationship(lazy="joined")


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    body: Mapped[str] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnilateralAction(Base):
    """An immediate action one member took alone; the team must review it within 24 h."""

    __tablename__ = "unilateral_actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    action: Mapped[str] = mapped_column(EncryptedText())
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    review_due_at: Mapped[datetime]
    review_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    reviewed_at: Mapped[datetime | None]
