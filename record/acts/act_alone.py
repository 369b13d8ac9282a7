"""Act alone for someone's safety: the act behind `care act`.

The guide lets any member take immediate action alone when someone's safety needs it; the
action is recorded as unilateral and the team must review it within a day. The
incident's run, suspended on one of its forms, is woken to open the review's sign-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from models.db import utcnow
from models.tables import Incident, Member, UnilateralAction
from policy.signoff import DecisionKind, may_approve
from record import audit, decisions
from record.acts.follow import NOTHING, FollowUp
from record.identity import find_member, normal, prove
from record.incidents import conflicted_handles, get_incident
from record.members import member_views
from record.review import ReviewRefused

REVIEW_WITHIN = timedelta(hours=24)
TRUSTED: frozenset[str] = frozenset()  # acting alone always needs the member's code


@dataclass(frozen=True)
class ActedAlone:
    """The recorded action, its review decision and when the review is due."""

    incident_code: str
    action_id: int
    review_decision_id: int
    taken_at: datetime
    review_due_at: datetime
    follow: FollowUp = NOTHING


def act_alone(
    session: Session,
    *,
    incident_code: str,
    handle: str,
    code: str | None,
    action: str,
    channel: str = "cli",
    submitted_at: datetime | None = None,
) -> ActedAlone:
    """Record an immediate action a member took alone, and open the team's review of it."""
    incident = get_incident(session, incident_code)
    member = _proven(session, incident, handle, code, channel, submitted_at or utcnow())
    if not action.strip():
        raise ReviewRefused("describe the action taken")
    now = utcnow()
    taken = UnilateralAction(
        incident_id=incident.id,
        member_id=member.id,
        action=action,
        taken_at=now,
        review_due_at=now + REVIEW_WITHIN,
    )
    session.add(taken)
    session.flush()
    taken.review_decision_id = _open_review(session, incident, member, taken)
    audit.record(
        session,
        actor=member.handle,
        action="unilateral.record",
        incident_code=incident.code,
        unilateral_action=taken.id,
        flagged="unilateral",
    )
    wake = (incident.flow_run_id,) if incident.flow_run_id else ()
    return ActedAlone(
        incident.code,
        taken.id,
        taken.review_decision_id,
        taken.taken_at,
        taken.review_due_at,
        FollowUp(wake=wake),
    )


def _proven(
    session: Session,
    incident: Incident,
    handle: str,
    code: str | None,
    channel: str,
    submitted_at: datetime,
) -> Member:
    member = find_member(session, handle)
    refusal = prove(
        member, code=code, channel=channel, trusted=TRUSTED, submitted_at=submitted_at
    ) or may_approve(
        member=normal(handle),
        members=member_views(session),
        conflicted=conflicted_handles(session, incident.id),
        counted=(),
    )
    if refusal is not None or member is None:
        raise ReviewRefused(f"{normal(handle)[:64]} may not act on {incident.code}: {refusal}")
    return member


def _open_review(
    session: Session, incident: Incident, member: Member, taken: UnilateralAction
) -> int:
    return decisions.propose(
        session,
        kind=DecisionKind.unilateral_action_review,
        summary=f"Review the immediate action {member.handle} took alone on {incident.code}",
        proposer=None,
        incident=incident,
        payload={"unilateral_action": taken.id},
        idempotency_key=f"unilateral-{taken.id}",
    ).id
