"""Immediate action taken alone for someone's safety, and the team's review of it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.db import utcnow
from models.tables import Decision, Incident, UnilateralAction
from policy.signoff import DecisionKind
from record import audit, decisions
from record.review import ReviewRefused

REVIEW_WITHIN = timedelta(hours=24)


def record_unilateral_action(
    session: Session,
    incident: Incident,
    *,
    member: str,
    code: str | None,
    action: str,
    channel: str = "cli",
) -> UnilateralAction:
    """A member acted alone because someone's safety needed it: record it, open its review."""
    row, refusal = decisions.check_member(
        session, handle=member, code=code, incident=incident, channel=channel
    )
    if refusal is not None or row is None:
        raise ReviewRefused(f"{member} may not act on {incident.code}: {refusal}")
    if not action.strip():
        raise ReviewRefused("describe the action taken")
    now = utcnow()
    taken = UnilateralAction(
        incident_id=incident.id,
        member_id=row.id,
        action=action,
        taken_at=now,
        review_due_at=now + REVIEW_WITHIN,
    )
    session.add(taken)
    session.flush()
    taken.review_decision_id = decisions.propose(
        session,
        kind=DecisionKind.unilateral_action_review,
        summary=f"Review the immediate action {row.handle} took alone on {incident.code}",
        proposer=None,
        incident=incident,
        payload={"unilateral_action": taken.id},
        idempotency_key=f"unilateral-{taken.id}",
    ).id
    audit.record(
        session,
        actor=row.handle,
        action="unilateral.record",
        incident_code=incident.code,
        unilateral_action=taken.id,
        flagged="unilateral",
    )
    return taken


def open_unilateral_reviews(session: Session, incident: Incident | None = None) -> list[int]:
    """Decisions reviewing unilateral actions that are still pending."""
    query = (
        select(UnilateralAction.review_decision_id)
        .join(Decision, Decision.id == UnilateralAction.review_decision_id)
        .where(Decision.status == "pending")
    )
    if incident is not None:
        query = query.where(UnilateralAction.incident_id == incident.id)
    return [d for d in session.scalars(query) if d is not None]
