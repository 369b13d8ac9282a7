"""Pages of on-call members for urgent incidents, and their acknowledgement."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import audit
from models.db import utcnow
from models.incidents import conflicted_handles
from models.members import get_member
from models.tables import Incident, Page
from models.validation import InvalidInput


@dataclass(frozen=True)
class AckResult:
    counted: bool
    first: bool  # this member is the incident's first responder
    refusal: str | None = None


def acknowledge(session: Session, incident: Incident, *, handle: str, channel: str) -> AckResult:
    """Record a member's acknowledgement of an urgent incident; the first one stops paging."""
    member = get_member(session, handle)
    if not member.active:
        return AckResult(counted=False, first=False, refusal="inactive")
    if member.handle in conflicted_handles(session, incident.id):
        return AckResult(counted=False, first=False, refusal="conflicted")
    if not incident.urgent:
        raise InvalidInput(f"{incident.code} is not urgent: there is nothing to acknowledge")
    now = utcnow()
    first = incident.first_responder_id is None
    if first:
        incident.first_responder_id = member.id
        incident.first_response_at = now
    for page in session.scalars(
        select(Page).where(Page.incident_id == incident.id, Page.acknowledged_at.is_(None))
    ):
        page.acknowledged_at = now
    audit.record(
        session,
        actor=member.handle,
        action="page.ack",
        incident_code=incident.code,
        channel=channel,
        first=first,
    )
    return AckResult(counted=True, first=first)
