"""The team's anonymised summary of each incident, for the transparency report."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.tables import AuditEntry, Incident
from record import audit


def set_summary(session: Session, incident: Incident, text: str | None, *, actor: str) -> None:
    """Store the team's anonymised summary (encrypted; empty: none for this incident)."""
    incident.summary = text.strip() if text is not None else None
    audit.record(
        session,
        actor=actor,
        action="incident.summary",
        incident_code=incident.code,
        written=bool(incident.summary),
    )


def summary_revision(session: Session, incident: Incident) -> int:
    """How many times the team has written this incident's summary."""
    query = select(func.count()).where(
        AuditEntry.incident_code == incident.code, AuditEntry.action == "incident.summary"
    )
    return int(session.scalar(query) or 0)
