"""Declare a conflict of interest: the one act behind the console, Slack and `care conflict`.

A member steps aside from an incident: they are not paged for it, their approvals on it
stop counting and they see only its status. Every open sign-off of the incident waits
with a form listing who may still approve, so each such run is woken to re-read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from record import audit
from record.acts.follow import NOTHING, FollowUp
from record.decisions import pending_decisions
from record.incidents import declare_conflict, get_incident
from record.members import get_member

MAX_REASON = 2000


@dataclass(frozen=True)
class ConflictDeclared:
    """What came of a declaration (codes and handles only)."""

    incident_code: str
    handle: str
    counted: bool
    refusal: str | None
    follow: FollowUp = NOTHING


def declare(
    session: Session,
    *,
    incident_code: str,
    handle: str,
    channel: str,
    reason: str | None = None,
    actor: str | None = None,
) -> ConflictDeclared:
    """Record that ``handle`` has a conflict on the incident (``actor``: who says so)."""
    incident = get_incident(session, incident_code)
    member = get_member(session, handle)
    if not member.active:
        audit.record(
            session,
            actor=actor or member.handle,
            action="conflict.refused",
            incident_code=incident.code,
            channel=channel,
            refusal="inactive",
        )
        return ConflictDeclared(incident.code, member.handle, counted=False, refusal="inactive")
    declare_conflict(
        session,
        incident,
        member.handle,
        reason=(reason or "").strip()[:MAX_REASON] or None,
        actor=actor or member.handle,
    )
    waiting = tuple(d.flow_run_id for d in pending_decisions(session, incident) if d.flow_run_id)
    return ConflictDeclared(
        incident.code, member.handle, counted=True, refusal=None, follow=FollowUp(wake=waiting)
    )
