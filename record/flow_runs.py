"""The flow runs the record keeps for each incident, as the CARE host reads and writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, select, update

from models import db
from models.tables import Decision, Incident
from policy.signoff import DecisionStatus


class OpenIncident(NamedTuple):
    id: int
    code: str


def without_run(*, column: Any, only_urgent: bool) -> list[OpenIncident]:
    """The open incidents whose run id (``column``) is not set, urgent ones only if asked."""
    condition = column.is_(None)
    if only_urgent:
        condition = and_(condition, Incident.urgent.is_(True))
    with db.session_scope() as session:
        open_ = Incident.closed_at.is_(None)
        query = select(Incident.id, Incident.code).where(condition, open_)
        return [OpenIncident(incident_id, code) for incident_id, code in session.execute(query)]


def record_run(*, incident_id: int, column: Any, run_id: str, replacing: bool) -> None:
    """Keep the incident's new run id; a first run never overwrites one set meanwhile."""
    unset = column.is_not(None) if replacing else column.is_(None)
    with db.session_scope() as session:
        session.execute(
            update(Incident).where(Incident.id == incident_id, unset).values({column.key: run_id})
        )


def decision_moved_on(*, decision_id: int, since: datetime) -> bool:
    """Whether the decision was decided or answered after ``since``."""
    with db.session_scope() as session:
        decision = session.get(Decision, decision_id)
        if decision is None:
            return False
        if decision.status != DecisionStatus.pending:
            return True
        return any(a.created_at > since for a in decision.approvals)
