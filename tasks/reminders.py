"""Remind the team of immediate actions taken alone that still wait for their review."""

from __future__ import annotations

from prefect import task
from sqlalchemy import select

from adapters.deliver import deliver
from models import db
from models.db import utcnow
from models.settings import get_settings
from models.tables import Decision, Incident, UnilateralAction
from record import outbox


@task(task_run_name="remind-unilateral-reviews")
def remind_unilateral_reviews_now() -> list[int]:
    """Queue one reminder per pending review per hour (more pressing once overdue)."""
    now = utcnow()
    hour = now.strftime("%Y%m%d%H")
    queued: list[int] = []
    with db.session_scope() as session:
        rows = session.execute(
            select(UnilateralAction, Incident.code)
            .join(Decision, Decision.id == UnilateralAction.review_decision_id)
            .join(Incident, Incident.id == UnilateralAction.incident_id)
            .where(Decision.status == "pending")
        ).all()
        for action, code in rows:
            overdue = now >= action.review_due_at
            due = action.review_due_at.strftime("%Y-%m-%d %H:%M UTC")
            body = (
                f"{'OVERDUE: ' if overdue else ''}CARE {code}: an immediate action taken alone "
                f"needs the team's review (decision {action.review_decision_id}, due {due})."
            )
            message, created = outbox.queue(
                session,
                channel="slack",
                purpose="remind.unilateral_review",
                recipient=get_settings().slack_team_channel or "care-team",
                body=body,
                idempotency_key=f"remind-unilateral-{action.id}-{hour}",
                incident=session.get(Incident, action.incident_id),
            )
            if created:
                queued.append(message.id)
    for message_id in queued:
        deliver(message_id)
    return queued
