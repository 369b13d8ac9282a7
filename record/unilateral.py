"""The team's reviews of immediate actions taken alone (acting: ``record.acts.act_alone``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import Decision, Incident, UnilateralAction
from policy.signoff import DecisionStatus


def open_unilateral_reviews(session: Session, incident: Incident | None = None) -> list[int]:
    """Decisions reviewing unilateral actions that are still pending."""
    query = (
        select(UnilateralAction.review_decision_id)
        .join(Decision, Decision.id == UnilateralAction.review_decision_id)
        .where(Decision.status == DecisionStatus.pending)
    )
    if incident is not None:
        query = query.where(UnilateralAction.incident_id == incident.id)
    return [d for d in session.scalars(query) if d is not None]
