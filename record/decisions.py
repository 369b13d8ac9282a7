"""Decisions and approvals: nothing the team decides or sends counts before sign-off.

Every answer, from the Prefect UI, the CLI, Slack or the console, goes through
:func:`record.acts.answer.answer_decision`, so the same policy counts them all. A refused
approval is kept with its reason; an objection returns the decision to its proposer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.db import utcnow
from models.tables import Decision, Incident, Member, UnilateralAction
from models.validation import InvalidInput
from policy.signoff import (
    DecisionKind,
    DecisionStatus,
    Refusal,
    counted_approvers,
    eligible_approvers,
    has_quorum,
    may_approve,
    required_approvals,
)
from record import audit
from record.identity import find_member, prove
from record.incidents import conflicted_handles
from record.members import get_member, member_views


class UnknownDecision(InvalidInput):
    pass


@dataclass(frozen=True)
class DecisionState:
    """What a pause form or a notice may show about a decision: no personal data."""

    id: int
    kind: str
    status: DecisionStatus
    incident_code: str | None
    summary: str
    proposer: str | None
    approvers: list[str]
    eligible: list[str]
    required: int
    quorum: bool


def propose(
    session: Session,
    *,
    kind: DecisionKind,
    summary: str,
    proposer: str | None,
    incident: Incident | None = None,
    event_id: int | None = None,
    body: str | None = None,
    payload: Any = None,
    idempotency_key: str | None = None,
) -> Decision:
    """Open a decision (or return the one already opened under the same key)."""
    if idempotency_key:
        found = session.scalar(select(Decision).where(Decision.idempotency_key == idempotency_key))
        if found is not None:
            return found
    proposer_row = get_member(session, proposer) if proposer else None
    decision = Decision(
        incident_id=incident.id if incident else None,
        event_id=event_id if event_id is not None else (incident.event_id if incident else None),
        kind=kind.value,
        summary=summary[:500],
        proposer_id=proposer_row.id if proposer_row else None,
        body=body,
        payload=payload,
        idempotency_key=idempotency_key,
    )
    session.add(decision)
    session.flush()
    audit.record(
        session,
        actor=proposer or "care",
        action="decision.propose",
        incident_code=incident.code if incident else None,
        decision=decision.id,
        kind=kind.value,
    )
    return decision


def get_decision(session: Session, decision_id: int) -> Decision:
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise UnknownDecision(f"no decision {decision_id}")
    return decision


def _incident(session: Session, decision: Decision) -> Incident | None:
    return session.get(Incident, decision.incident_id) if decision.incident_id else None


def conflicted_on(session: Session, decision: Decision) -> set[str]:
    """Who may not approve: members with a conflict on the incident and, for the review of
    an immediate action taken alone, whoever took it (nobody reviews their own action)."""
    handles = conflicted_handles(session, decision.incident_id) if decision.incident_id else set()
    if decision.kind == DecisionKind.unilateral_action_review:
        actors = select(Member.handle).join(
            UnilateralAction, UnilateralAction.member_id == Member.id
        )
        handles |= set(
            session.scalars(actors.where(UnilateralAction.review_decision_id == decision.id))
        )
    return handles


def state(session: Session, decision: Decision) -> DecisionState:
    members = member_views(session)
    conflicted = conflicted_on(session, decision)
    proposer = decision.proposer.handle if decision.proposer else ""
    approvers = [a.member.handle for a in decision.approvals if a.counted and a.member]
    kind = DecisionKind(decision.kind)
    counted = counted_approvers(
        kind, proposer=proposer, approvers=approvers, members=members, conflicted=conflicted
    )
    incident = _incident(session, decision)
    return DecisionState(
        id=decision.id,
        kind=decision.kind,
        status=DecisionStatus(decision.status),
        incident_code=incident.code if incident else None,
        summary=decision.summary,
        proposer=proposer or None,
        approvers=counted,
        eligible=eligible_approvers(members=members, conflicted=conflicted, counted=counted),
        required=required_approvals(kind, members=members, conflicted=conflicted),
        quorum=has_quorum(
            kind, proposer=proposer, approvers=approvers, members=members, conflicted=conflicted
        ),
    )


def check_member(
    session: Session,
    *,
    handle: str,
    code: str | None,
    incident: Incident | None,
    channel: str,
    submitted_at: datetime | None = None,
) -> tuple[Member | None, Refusal | None]:
    """Whether this member may act on the incident, proven by their code (not Slack) at the
    moment they submitted it (now, if not known)."""
    member = find_member(session, handle)
    refusal = prove(
        member,
        code=code,
        channel=channel,
        trusted=frozenset({"slack"}),
        submitted_at=submitted_at or utcnow(),
    )
    if refusal is None:
        conflicted = conflicted_handles(session, incident.id) if incident else set()
        refusal = may_approve(
            member=handle.strip().lower(),
            members=member_views(session),
            conflicted=conflicted,
            counted=(),
        )
    return member, refusal


def pending_decisions(session: Session, incident: Incident) -> list[Decision]:
    query = select(Decision).where(
        Decision.incident_id == incident.id, Decision.status == DecisionStatus.pending
    )
    return list(session.scalars(query.order_by(Decision.id)))


def withdraw(session: Session, decision: Decision, *, actor: str) -> None:
    if decision.status == DecisionStatus.pending:
        decision.status = DecisionStatus.withdrawn
        decision.decided_at = utcnow()
        audit.record(session, actor=actor, action="decision.withdraw", decision=decision.id)


def get_member_or_none(session: Session, handle: str) -> Member | None:
    try:
        return get_member(session, handle)
    except InvalidInput:
        return None
