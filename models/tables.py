"""The incident record: SQLAlchemy 2 typed tables.

Every column that can hold a name, a contact, a narrative, a note or other free text is an
``Encrypted*`` column. Plain columns hold codes, statuses, catalogue keys, counts and times.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from models.crypto import EncryptedBytes, EncryptedJSON, EncryptedText
from models.db import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}  # noqa: RUF012


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
    acknowledged_at: Mapped[datetime | None]
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
    acknowledged_at: Mapped[datetime | None]
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


class Decision(Base):
    """Anything the team decides or sends: it needs sign-off before it counts."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # pending | approved | objected | withdrawn
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    summary: Mapped[str] = mapped_column(String(500))  # catalogue terms only, no personal data
    body: Mapped[str | None] = mapped_column(EncryptedText())
    payload: Mapped[Any | None] = mapped_column(EncryptedJSON())
    objection: Mapped[str | None] = mapped_column(EncryptedText())
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    approvals: Mapped[list[Approval]] = relationship(order_by="Approval.id")
    proposer: Mapped[Member | None] = relationship(lazy="joined")


class Approval(Base):
    """One member's answer to a decision; refused attempts are kept with their reason."""

    __tablename__ = "approvals"
    __table_args__ = (
        Index(
            "uq_approvals_counted",
            "decision_id",
            "member_id",
            unique=True,
            sqlite_where=text("counted = 1"),
            postgresql_where=text("counted"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    claimed_handle: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(8))  # approve | object
    comment: Mapped[str | None] = mapped_column(EncryptedText())
    channel: Mapped[str] = mapped_column(String(16))  # ui | cli | slack | console
    counted: Mapped[bool] = mapped_column(default=False)
    refusal: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    member: Mapped[Member | None] = relationship(lazy="joined")


class ReviewOutcome(Base):
    __tablename__ = "review_outcomes"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    needs_information: Mapped[bool] = mapped_column(default=False)
    information_to_gather: Mapped[str | None] = mapped_column(EncryptedText())
    what_happened: Mapped[str | None] = mapped_column(EncryptedText())
    facts: Mapped[Any | None] = mapped_column(EncryptedJSON())  # structured fields
    violation: Mapped[str | None] = mapped_column(String(16))
    bad_actors: Mapped[list[str] | None] = mapped_column(JSON)  # pseudonyms
    intentional: Mapped[str | None] = mapped_column(String(16))
    severity: Mapped[str | None] = mapped_column(String(16))
    resolutions: Mapped[list[str] | None] = mapped_column(JSON)  # catalogue keys
    other_resolution: Mapped[str | None] = mapped_column(EncryptedText())
    # what the reporter is told about the reasoning (drafted into the reporter message)
    reporter_explanation: Mapped[str | None] = mapped_column(EncryptedText())
    # when more information was needed: what was found, by whom, when
    findings: Mapped[str | None] = mapped_column(EncryptedText())
    findings_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    findings_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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


class AuditEntry(Base):
    """The append-only, hash-chained audit trail: who did what to which incident."""

    __tablename__ = "audit_entries"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    incident_code: Mapped[str | None] = mapped_column(String(24), index=True)
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON, never personal data
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the chain hashes salted digests of actor and detail; erasure replaces the clear values
    # by pseudonyms and drops the salt (record.audit.pseudonymise)
    salt: Mapped[str | None] = mapped_column(String(32))
    actor_digest: Mapped[str | None] = mapped_column(String(64))
    detail_digest: Mapped[str | None] = mapped_column(String(64))


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
