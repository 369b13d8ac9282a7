"""Approve or object to a decision: the one act behind the Prefect form, console, Slack, CLI.

The answer is always kept, with the reason when it does not count. A counted answer is
announced in the team channel (so one given in someone else's name is seen at once), wakes
the decision's sign-off run, and an erasure it approves is then carried out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from models.db import utcnow
from models.tables import Approval, Decision, Incident
from models.validation import InvalidInput
from policy.signoff import DecisionKind, DecisionStatus, Refusal, may_approve, may_approve_text
from record import audit
from record.acts.follow import ApprovalNotice, FollowUp
from record.decisions import DecisionState, conflicted_on, get_decision, state
from record.identity import find_member, normal, prove
from record.members import member_views
from record.readings import shown_to

Verdict = Literal["approve", "object"]
AnswerChannel = Literal["ui", "cli", "slack", "console"]
# Slack proves identity by its signed payload; everywhere else a TOTP code is required.
TRUSTED = frozenset({"slack"})


@dataclass(frozen=True)
class Answered:
    """What came of one answer, and what must follow it."""

    counted: bool
    refusal: str | None
    state: DecisionState
    approval_id: int
    follow: FollowUp


def answer_decision(
    session: Session,
    *,
    decision_id: int,
    handle: str,
    verdict: Verdict,
    channel: AnswerChannel,
    code: str | None = None,
    comment: str | None = None,
    submitted_at: datetime | None = None,
) -> Answered:
    """Record one member's answer; count it only if the policy accepts it."""
    if verdict not in ("approve", "object"):
        raise InvalidInput(f"verdict must be approve or object, not {verdict!r}")
    decision = get_decision(session, decision_id)
    refusal = _refusal(session, decision, handle, verdict, channel, code, submitted_at)
    row = _keep(session, decision, handle, verdict, channel, comment, refusal)
    if row.counted:
        _settle(session, decision, verdict, comment)
    shown = state(session, decision)
    return Answered(
        counted=row.counted,
        refusal=row.refusal,
        state=shown,
        approval_id=row.id,
        follow=_follow(decision, row, shown) if row.counted else FollowUp(),
    )


def _refusal(
    session: Session,
    decision: Decision,
    handle: str,
    verdict: Verdict,
    channel: str,
    code: str | None,
    submitted_at: datetime | None,
) -> Refusal | None:
    if decision.status != DecisionStatus.pending:
        return Refusal.decision_closed
    member = find_member(session, handle)
    refusal = prove(
        member,
        code=code,
        channel=channel,
        trusted=TRUSTED,
        submitted_at=submitted_at or utcnow(),
    )
    if refusal is not None:
        return refusal
    already = [a.member.handle for a in decision.approvals if a.counted and a.member]
    if decision.proposer and verdict == "approve":
        already.append(decision.proposer.handle)
    if verdict == "object":  # anyone eligible may stop a decision, read or not
        return may_approve(
            member=normal(handle),
            members=member_views(session),
            conflicted=conflicted_on(session, decision),
            counted=already,
        )
    return may_approve_text(
        DecisionKind(decision.kind),
        member=normal(handle),
        members=member_views(session),
        conflicted=conflicted_on(session, decision),
        counted=already,
        shown=shown_to(session, decision),
    )


def _keep(
    session: Session,
    decision: Decision,
    handle: str,
    verdict: Verdict,
    channel: str,
    comment: str | None,
    refusal: Refusal | None,
) -> Approval:
    """Keep the answer, counted or not, and write it to the audit trail."""
    member = find_member(session, handle)
    row = Approval(
        decision_id=decision.id,
        member_id=member.id if member else None,
        claimed_handle=normal(handle)[:64],
        verdict=verdict,
        comment=comment or None,
        channel=channel,
        counted=refusal is None,
        refusal=refusal.value if refusal else None,
    )
    session.add(row)
    session.flush()
    session.refresh(decision)
    audit.record(
        session,
        actor=row.claimed_handle,
        action="decision.answer",
        incident_code=_code(session, decision),
        decision=decision.id,
        verdict=verdict,
        channel=channel,
        counted=row.counted,
        refusal=row.refusal,
    )
    return row


def _settle(session: Session, decision: Decision, verdict: Verdict, comment: str | None) -> None:
    """A counted objection closes the decision; a counted approval may complete its quorum."""
    if verdict == "object":
        decision.status, decision.objection = DecisionStatus.objected, comment
    elif state(session, decision).quorum:
        decision.status = DecisionStatus.approved
    else:
        return
    decision.decided_at = utcnow()
    audit.record(
        session,
        actor="care",
        action=f"decision.{decision.status}",
        incident_code=_code(session, decision),
        decision=decision.id,
    )


def _follow(decision: Decision, row: Approval, shown: DecisionState) -> FollowUp:
    erasure = shown.kind == DecisionKind.erasure.value and shown.status == DecisionStatus.approved
    return FollowUp(
        announce=(ApprovalNotice(decision.id, row.id),),
        wake=(decision.flow_run_id,) if decision.flow_run_id else (),
        erase=decision.id if erasure else None,
        actor=row.claimed_handle,
    )


def _code(session: Session, decision: Decision) -> str | None:
    incident = session.get(Incident, decision.incident_id) if decision.incident_id else None
    return incident.code if incident else None
