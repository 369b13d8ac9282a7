"""Decisions and approvals: nothing the team decides or sends counts before sign-off.

Every answer, from the Prefect UI, the CLI, Slack or the console, goes through
:func:`answer`, so the same policy counts them all. A refused approval is kept with its
reason; an objection returns the decision to its proposer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import totp
from models.db import utcnow
from models.tables import Approval, Decision, Incident, Member, UnilateralAction
from models.validation import InvalidInput
from policy.signoff import (
    DecisionKind,
    Refusal,
    counted_approvers,
    eligible_approvers,
    has_quorum,
    may_approve,
    required_approvals,
)
from record import audit
from record.incidents import conflicted_handles
from record.members import get_member, member_views

Verdict = Literal["approve", "object"]
AnswerChannel = Literal["ui", "cli", "slack", "console"]
# Slack proves identity by its signed payload; everywhere else a TOTP code is required.
TRUSTED_IDENTITY = {"slack"}


class UnknownDecision(InvalidInput):
    pass


@dataclass(frozen=True)
class DecisionState:
    """What a pause form or a notice may show about a decision: no personal data."""

    id: int
    kind: str
    status: str
    incident_code: str | None
    summary: str
    proposer: str | None
    approvers: list[str]
    eligible: list[str]
    required: int
    quorum: bool


@dataclass(frozen=True)
class AnswerResult:
    counted: bool
    refusal: str | None
    state: DecisionState


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


def _conflicted(session: Session, decision: Decision) -> set[str]:
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
    conflicted = _conflicted(session, decision)
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
        status=decision.status,
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


def _check_identity(member: Member | None, code: str | None, channel: str) -> Refusal | None:
    if channel in TRUSTED_IDENTITY or member is None:
        return None
    verdict, step = totp.check_code(member.totp_secret, code or "", last_step=member.totp_last_step)
    if verdict is totp.CodeCheck.ok:
        member.totp_last_step = step
        return None
    return Refusal.code_reused if verdict is totp.CodeCheck.code_reused else Refusal.bad_code


def check_member(
    session: Session, *, handle: str, code: str | None, incident: Incident | None, channel: str
) -> tuple[Member | None, Refusal | None]:
    """Whether this member may act on the incident now, proven by their code (not Slack)."""
    member = session.scalar(select(Member).where(Member.handle == handle.strip().lower()))
    refusal = _check_identity(member, code, channel)
    if refusal is None:
        conflicted = conflicted_handles(session, incident.id) if incident else set()
        refusal = may_approve(
            member=handle.strip().lower(),
            members=member_views(session),
            conflicted=conflicted,
            counted=(),
        )
    return member, refusal


def answer(
    session: Session,
    *,
    decision_id: int,
    handle: str,
    verdict: Verdict,
    channel: AnswerChannel,
    code: str | None = None,
    comment: str | None = None,
) -> AnswerResult:
    """Record one member's answer; count it only if the policy accepts it."""
    if verdict not in ("approve", "object"):
        raise InvalidInput(f"verdict must be approve or object, not {verdict!r}")
    decision = get_decision(session, decision_id)
    member = session.scalar(select(Member).where(Member.handle == handle.strip().lower()))
    refusal: Refusal | None = None
    if decision.status != "pending":
        refusal = Refusal.decision_closed
    if refusal is None:
        refusal = _check_identity(member, code, channel)
    if refusal is None:
        already = [a.member.handle for a in decision.approvals if a.counted and a.member]
        if decision.proposer and verdict == "approve":
            already.append(decision.proposer.handle)
        refusal = may_approve(
            member=handle.strip().lower(),
            members=member_views(session),
            conflicted=_conflicted(session, decision),
            counted=already,
        )
    row = Approval(
        decision_id=decision.id,
        member_id=member.id if member else None,
        claimed_handle=handle.strip().lower()[:64],
        verdict=verdict,
        comment=comment or None,
        channel=channel,
        counted=refusal is None,
        refusal=refusal.value if refusal else None,
    )
    session.add(row)
    session.flush()
    session.refresh(decision)
    incident = _incident(session, decision)
    code_ = incident.code if incident else None
    audit.record(
        session,
        actor=row.claimed_handle,
        action="decision.answer",
        incident_code=code_,
        decision=decision.id,
        verdict=verdict,
        channel=channel,
        counted=row.counted,
        refusal=row.refusal,
    )
    if row.counted and verdict == "object":
        decision.status = "objected"
        decision.objection = comment
        decision.decided_at = utcnow()
        audit.record(
            session,
            actor="care",
            action="decision.objected",
            incident_code=code_,
            decision=decision.id,
        )
    elif row.counted and state(session, decision).quorum:
        decision.status = "approved"
        decision.decided_at = utcnow()
        audit.record(
            session,
            actor="care",
            action="decision.approved",
            incident_code=code_,
            decision=decision.id,
        )
    return AnswerResult(counted=row.counted, refusal=row.refusal, state=state(session, decision))


def pending_decisions(session: Session, incident: Incident) -> list[Decision]:
    query = select(Decision).where(
        Decision.incident_id == incident.id, Decision.status == "pending"
    )
    return list(session.scalars(query.order_by(Decision.id)))


def withdraw(session: Session, decision: Decision, *, actor: str) -> None:
    if decision.status == "pending":
        decision.status = "withdrawn"
        decision.decided_at = utcnow()
        audit.record(session, actor=actor, action="decision.withdraw", decision=decision.id)


def get_member_or_none(session: Session, handle: str) -> Member | None:
    try:
        return get_member(session, handle)
    except InvalidInput:
        return None
