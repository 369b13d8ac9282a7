"""Decisions the team takes, the approvals they count, and review outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.crypto import EncryptedJSON, EncryptedText
from models.db import utcnow
from models.tables.base import Base
from policy.signoff import DecisionStatus

if TYPE_CHECKING:
    from models.tables.people import Member


class Decision(Base):
    """Anything the team decides or sends: it needs sign-off before it counts."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=DecisionStatus.pending.value)
    # a DecisionStatus value
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
