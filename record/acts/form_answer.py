"""Answer a step of an incident's lifecycle: the review, findings, a conversation's notes, a text.

The one act behind the Prefect form, the console and the CLI. The member's code is checked
at the moment they submitted the answer (the time Prefect stored the form's input, or the
request's), and is still accepted once only. An answer that does not count is never lost:
what the member typed (but not their code) is kept, encrypted, as their draft, with the
reason in plain words, and they finish it in the console without typing it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.answers import (
    ConversationAnswer,
    FindingsAnswer,
    FormAnswer,
    ReviewAnswer,
    StatementAnswer,
)
from models.db import utcnow
from models.tables import Conversation, Draft, Incident
from models.validation import InvalidInput
from policy.refusals import ALREADY_ANSWERED, not_counted
from policy.signoff import DecisionKind, DecisionStatus
from record import audit, conversations, outcomes, review
from record.acts.follow import FollowUp
from record.identity import find_member
from record.incidents import get_incident

StepForm = Literal["review", "findings", "conversation", "text"]
DEFINITIONS: dict[str, type[FormAnswer]] = {
    "review": ReviewAnswer,
    "findings": FindingsAnswer,
    "conversation": ConversationAnswer,
    "text": StatementAnswer,
}
WHAT = {"review": "review", "findings": "findings", "conversation": "notes", "text": "text"}


@dataclass(frozen=True)
class StepAnswered:
    """What came of one answer: counted, or kept as a draft with the reason."""

    counted: bool
    incident_code: str
    member: str | None  # a known member's handle, never what was typed
    reason: str | None  # plain words: why it did not count
    draft_id: int | None
    follow: FollowUp


def handle_of(answer: FormAnswer) -> str:
    """The member an answer names (the reviewer, or the member)."""
    return str(getattr(answer, "reviewer", None) or getattr(answer, "member", ""))


def answer_step(
    session: Session,
    *,
    incident_code: str,
    step: str,
    form: StepForm,
    target: dict[str, Any],
    answer: FormAnswer,
    channel: str,
    submitted_at: datetime | None = None,
    draft_id: int | None = None,
) -> StepAnswered:
    """Record one member's answer to a step; keep it as their draft if it does not count.

    ``target`` holds the ids the step is about (round, outcome, conversation, kind, report,
    latest decision). ``draft_id`` is the draft being finished, if this answer finishes one.
    """
    incident = get_incident(session, incident_code)
    member = find_member(session, handle_of(answer))
    try:
        with session.begin_nested():
            if not step_open(session, incident, form, target):
                raise review.refused(member, ALREADY_ANSWERED)
            _record(session, incident, form, target, answer, channel, submitted_at)
    except review.ReviewRefused as exc:
        reason = str(exc) if exc.reason else not_counted(review.who(member), str(exc))
        kept = keep_draft(
            session,
            incident=incident,
            step=step,
            form=form,
            target=target,
            answer=answer,
            reason=reason,
            draft_id=draft_id,
        )
        if exc.reason == ALREADY_ANSWERED:  # moot: nothing left to finish
            kept.resolved_at = utcnow()
        handle = member.handle if member else None
        return StepAnswered(False, incident.code, handle, reason, kept.id, FollowUp())
    everyone = not step_open(session, incident, form, target)  # nobody's draft is left to finish
    _resolve(session, incident, step, member.id if member else None, draft_id, everyone=everyone)
    wake = (incident.flow_run_id,) if channel != "ui" and incident.flow_run_id else ()
    handle = member.handle if member else None
    return StepAnswered(True, incident.code, handle, None, None, FollowUp(wake=wake))


def _record(
    session: Session,
    incident: Incident,
    form: StepForm,
    target: dict[str, Any],
    answer: FormAnswer,
    channel: str,
    submitted_at: datetime | None,
) -> None:
    if isinstance(answer, ReviewAnswer) and form == "review":
        review.record_review(session, incident, answer, channel=channel, submitted_at=submitted_at)
    elif isinstance(answer, FindingsAnswer) and form == "findings":
        review.record_findings(
            session,
            incident,
            outcome_id=int(target["outcome"]),
            member=answer.member,
            code=answer.code,
            text=answer.findings,
            channel=channel,
            submitted_at=submitted_at,
        )
    elif isinstance(answer, ConversationAnswer) and form == "conversation":
        conversations.record_conversation(
            session,
            incident,
            conversation_id=int(target["conversation"]),
            member=answer.member,
            code=answer.code,
            notes=answer.notes,
            held=answer.held,
            channel=channel,
            submitted_at=submitted_at,
        )
    elif isinstance(answer, StatementAnswer) and form == "text":
        outcomes.propose_text(
            session,
            incident,
            kind=DecisionKind(target["kind"]),
            member=answer.member,
            code=answer.code,
            text=answer.text,
            report_id=target.get("report"),
            channel=channel,
            submitted_at=submitted_at,
        )
    else:
        raise InvalidInput(f"not an answer to a {form} step")


def step_open(session: Session, incident: Incident, form: str, target: dict[str, Any]) -> bool:
    """Whether the step still waits for this answer (nobody answered it in the meantime)."""
    if form in ("review", "findings"):
        stage = review.review_stage(session, incident)
        if form == "review":
            return stage.step == "review" and stage.round == int(target["round"])
        return stage.step == "gather" and stage.outcome_id == int(target["outcome"])
    if form == "conversation":
        conv = session.get(Conversation, int(target["conversation"]))
        return conv is not None and conv.incident_id == incident.id and conv.status == "open"
    latest = outcomes.latest_decision(
        session, incident, DecisionKind(target["kind"]), report_id=target.get("report")
    )
    if (latest.id if latest else 0) != int(target.get("latest") or 0):
        return False
    return latest is None or latest.status not in (DecisionStatus.pending, DecisionStatus.approved)


def keep_draft(
    session: Session,
    *,
    incident: Incident,
    step: str,
    form: str,
    target: dict[str, Any],
    answer: FormAnswer,
    reason: str,
    draft_id: int | None = None,
) -> Draft:
    """Keep what the member typed (never the code), encrypted, with why it did not count."""
    member = find_member(session, handle_of(answer))
    typed = answer.model_dump(mode="json", exclude={"code"})
    draft = session.get(Draft, draft_id) if draft_id is not None else None
    if draft is None or draft.resolved_at is not None:
        draft = Draft(incident_id=incident.id, step=step, form=form, target=target)
        session.add(draft)
    draft.member_id = member.id if member else None
    draft.answer, draft.reason = typed, reason[:500]
    session.flush()
    audit.record(
        session,
        actor=member.handle if member else "care",
        action="draft.keep",
        incident_code=incident.code,
        draft=draft.id,
        step=step,
    )
    return draft


def _resolve(
    session: Session,
    incident: Incident,
    step: str,
    member_id: int | None,
    draft_id: int | None,
    *,
    everyone: bool,
) -> None:
    """The member's open drafts of this step are done with (their answer counted), and
    everyone's once the step is answered."""
    query = select(Draft).where(
        Draft.incident_id == incident.id, Draft.step == step, Draft.resolved_at.is_(None)
    )
    for draft in session.scalars(query):
        mine = member_id is not None and draft.member_id == member_id
        if everyone or mine or draft.id == draft_id:
            draft.resolved_at = utcnow()
            audit.record(
                session,
                actor="care",
                action="draft.resolve",
                incident_code=incident.code,
                draft=draft.id,
            )


def open_drafts(session: Session, *, member_id: int) -> list[Draft]:
    """The member's answers still to finish, oldest first."""
    query = select(Draft).where(Draft.member_id == member_id, Draft.resolved_at.is_(None))
    return list(session.scalars(query.order_by(Draft.id)))


def draft_answer(draft: Draft) -> dict[str, Any]:
    """What the member typed, as the form's fields (resolutions as ticked boxes)."""
    return dict(draft.answer or {})
