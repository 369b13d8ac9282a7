"""Who was shown a decision's text: nobody approves a text they did not see.

A showing is an audit entry (``decision.text.shown``), written by the page or command that
put the full text in front of a member; its detail holds the decision's id only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import AuditEntry, Decision, Incident
from models.validation import InvalidInput
from policy.signoff import REASONS, TEXT_KINDS, may_approve
from record import audit
from record.decisions import DecisionState, conflicted_on, get_decision, state
from record.identity import normal
from record.members import member_views

SHOWN = "decision.text.shown"


def _detail(decision: Decision) -> str:
    return json.dumps({"decision": decision.id}, sort_keys=True, separators=(",", ":"))


def record_showing(session: Session, *, member: str, decision: Decision) -> None:
    """Write that this member was shown the decision's full text (once is enough)."""
    if was_shown(session, member=member, decision=decision):
        return
    incident = session.get(Incident, decision.incident_id) if decision.incident_id else None
    audit.record(
        session,
        actor=member,
        action=SHOWN,
        incident_code=incident.code if incident else None,
        decision=decision.id,
    )


def shown_to(session: Session, decision: Decision) -> set[str]:
    """Handles of the members who were shown the decision's text."""
    query = select(AuditEntry.actor).where(
        AuditEntry.action == SHOWN, AuditEntry.detail == _detail(decision)
    )
    return set(session.scalars(query))


def was_shown(session: Session, *, member: str, decision: Decision) -> bool:
    return member in shown_to(session, decision)


@dataclass(frozen=True)
class ShownText:
    state: DecisionState
    text: str | None


def show_text(session: Session, *, member: str, decision_id: int) -> ShownText:
    """Put a decision's full text before a member who may see it (the CLI's reading)."""
    decision = get_decision(session, decision_id)
    handle = normal(member)
    refusal = may_approve(
        member=handle,
        members=member_views(session),
        conflicted=conflicted_on(session, decision),
        counted=(),
    )
    if refusal is not None:
        why = REASONS.get(refusal, refusal.value.replace("_", " "))
        raise InvalidInput(f"{handle[:64]} may not read decision {decision.id}: {why}")
    if decision.body and decision.kind in TEXT_KINDS:
        record_showing(session, member=handle, decision=decision)
    return ShownText(state(session, decision), decision.body)
