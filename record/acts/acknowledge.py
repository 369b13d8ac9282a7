"""Take an urgent case: the one act behind an SMS "ACK", Slack, the console, `care ack`
and the Prefect form of the `acknowledge-<code>` run.

The first member to acknowledge becomes the first responder and paging stops for everyone.
Nothing is woken: the escalation never suspends (it polls the record between rounds) and
closes the acknowledgement form itself once it sees the case taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.db import utcnow
from models.tables import Incident, Member, Page
from models.validation import InvalidInput
from policy.signoff import Refusal, may_approve
from record import audit
from record.acts.follow import NOTHING, FollowUp
from record.identity import prove
from record.incidents import conflicted_handles, get_incident
from record.members import get_member, member_views

# the member's identity is proven by the channel itself (a signed webhook from their own
# phone or Slack account, or a console login); elsewhere a TOTP code is needed
TRUSTED = frozenset({"sms", "slack", "console"})


@dataclass(frozen=True)
class Acknowledged:
    """What came of one acknowledgement (codes and handles only)."""

    incident_code: str
    counted: bool
    first: bool  # this member is the incident's first responder
    refusal: str | None
    follow: FollowUp = NOTHING


def take_urgent_case(
    session: Session,
    *,
    incident_code: str,
    handle: str,
    channel: str,
    code: str | None = None,
    submitted_at: datetime | None = None,
) -> Acknowledged:
    """Record a member's acknowledgement of an urgent incident; the first one stops paging."""
    incident = get_incident(session, incident_code)
    if not incident.urgent:
        raise InvalidInput(f"{incident.code} is not urgent: there is nothing to acknowledge")
    member = get_member(session, handle)
    refusal = _refusal(session, incident, member, channel, code, submitted_at)
    if refusal is not None:
        audit.record(
            session,
            actor=member.handle,
            action="page.ack_refused",
            incident_code=incident.code,
            channel=channel,
            refusal=refusal,
        )
        return Acknowledged(incident.code, counted=False, first=False, refusal=refusal)
    first = _take(session, incident, member)
    audit.record(
        session,
        actor=member.handle,
        action="page.ack",
        incident_code=incident.code,
        channel=channel,
        first=first,
    )
    return Acknowledged(incident.code, counted=True, first=first, refusal=None)


def _refusal(
    session: Session,
    incident: Incident,
    member: Member,
    channel: str,
    code: str | None,
    submitted_at: datetime | None,
) -> Refusal | None:
    proof = prove(
        member, code=code, channel=channel, trusted=TRUSTED, submitted_at=submitted_at or utcnow()
    )
    return proof or may_approve(
        member=member.handle,
        members=member_views(session),
        conflicted=conflicted_handles(session, incident.id),
        counted=(),
    )


def _take(session: Session, incident: Incident, member: Member) -> bool:
    """Stop paging; make the member first responder if nobody was. Whether they are."""
    now = utcnow()
    first = incident.first_responder_id is None
    if first:
        incident.first_responder_id = member.id
        incident.first_response_at = now
    if incident.urgent_acknowledged_at is None:
        incident.urgent_acknowledged_at = now
    for page in session.scalars(
        select(Page).where(Page.incident_id == incident.id, Page.acknowledged_at.is_(None))
    ):
        page.acknowledged_at = now
    return first
