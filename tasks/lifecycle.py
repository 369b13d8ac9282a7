"""The lifecycle's steps on the record: each opens its own session and returns ids or codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from prefect import task
from pydantic import BaseModel

from adapters import notices
from adapters.deliver import deliver
from adapters.follow_up import carry_out
from models import db
from models.answers import (
    ConversationAnswer,
    FindingsAnswer,
    FormAnswer,
    ReviewAnswer,
    StatementAnswer,
)
from models.tables import Report
from models.validation import InvalidInput
from policy.members import available
from policy.refusals import not_counted
from policy.signoff import DecisionKind, DecisionStatus
from policy.status import IncidentStatus, check_transition
from record import conversations, outcomes, review, unilateral
from record.acts import conflict, form_answer
from record.acts.follow import FollowUp
from record.identity import find_member
from record.incidents import conflicted_handles, get_incident, set_status
from record.members import member_views
from record.parties import list_parties

ORDER = list(IncidentStatus)


class IncidentView(BaseModel):
    """What a flow and its forms may know of an incident: codes and counts, no people."""

    code: str
    status: str
    urgent: bool
    happened_in_public: bool
    reports: int
    parties: list[str]  # "P1 (reported)"
    eligible: list[str]  # members who may act on it now


def read_incident(code: str) -> IncidentView:
    with db.session_scope() as session:
        incident = get_incident(session, code)
        parties = list_parties(session, incident)  # one entry a person: merged ones hidden
        return IncidentView(
            code=incident.code,
            status=incident.status,
            urgent=incident.urgent,
            happened_in_public=bool(incident.happened_in_public),
            reports=session.query(Report).filter(Report.incident_id == incident.id).count(),
            parties=[f"{p.pseudonym} ({p.role})" for p in parties],
            eligible=available(member_views(session), conflicted_handles(session, incident.id)),
        )


def read_stage(code: str) -> review.ReviewStage:
    with db.session_scope() as session:
        return review.review_stage(session, get_incident(session, code))


def move_to(code: str, status: IncidentStatus) -> str:
    """Move the incident to a status, unless it is there already or past it.

    A plain record update, not a Prefect task: it runs on every re-run of the flow, and
    a task run per call would only add writes to Prefect's database.
    """
    with db.session_scope() as session:
        incident = get_incident(session, code)
        current = IncidentStatus(incident.status)
        if current is status:
            return current.value
        try:
            check_transition(current, status)
        except ValueError:
            if ORDER.index(status) < ORDER.index(current):
                return current.value  # a re-run: the incident is past this step
            raise
        set_status(session, incident, status, actor="care")
        return status.value


class StepFeedback(BaseModel):
    """What came of an answer to a step: handles and plain words only, never what was typed."""

    counted: bool
    what: str = "answer"  # review, findings, notes, text
    member: str | None = None  # a known member's handle
    reason: str | None = None  # why it did not count
    draft_id: int | None = None


def record_answer(
    code: str,
    step: str,
    form: form_answer.StepForm,
    target: dict[str, Any],
    answer: FormAnswer,
    submitted_at: datetime | None,
) -> StepFeedback:
    """Record an answer given in the Prefect form, checking its code at ``submitted_at``."""
    with db.session_scope() as session:
        result = form_answer.answer_step(
            session,
            incident_code=code,
            step=step,
            form=form,
            target=target,
            answer=answer,
            channel="ui",
            submitted_at=submitted_at,
        )
    what = form_answer.WHAT[form]
    if result.counted:
        return StepFeedback(counted=True, what=what, member=result.member)
    return StepFeedback(
        counted=False,
        what=what,
        member=result.member,
        reason=result.reason,
        draft_id=result.draft_id,
    )


@task(task_run_name="review-{code}")
def save_review(
    code: str, step: str, round_: int, answer: ReviewAnswer, submitted_at: datetime | None = None
) -> StepFeedback:
    """Record a review answer; say whether it counted (no personal data)."""
    target = {"round": round_}
    if answer.conflicts():  # kept even if the review itself is refused
        try:
            carry_out(declare_conflicts(code, answer))
        except review.ReviewRefused as exc:
            return keep_review(code, step, target, answer, str(exc))
    return record_answer(code, step, "review", target, answer, submitted_at)


def keep_review(
    code: str, step: str, target: dict[str, Any], answer: ReviewAnswer, problem: str
) -> StepFeedback:
    """Keep a review refused before it reached the record, as the member's draft."""
    with db.session_scope() as session:
        incident = get_incident(session, code)
        member = find_member(session, answer.reviewer)
        reason = not_counted(review.who(member), problem)
        kept = form_answer.keep_draft(
            session,
            incident=incident,
            step=step,
            form="review",
            target=target,
            answer=answer,
            reason=reason,
        )
        handle = member.handle if member else None
        return StepFeedback(
            counted=False, what="review", member=handle, reason=reason, draft_id=kept.id
        )


def declare_conflicts(code: str, answer: ReviewAnswer) -> FollowUp:
    """The conflicts declared in the review form, each the member's act of declaring one;
    what follows is to wake every open sign-off, which whoever stepped aside leaves."""
    wake: list[str] = []
    with db.session_scope() as session:
        for position, handle in enumerate(answer.conflicts(), start=1):
            try:
                declared = conflict.declare(
                    session,
                    incident_code=code,
                    handle=handle,
                    channel="ui",
                    actor=answer.reviewer[:64],
                )
            except InvalidInput as exc:  # its message holds what was typed: not repeated
                raise review.ReviewRefused(
                    '"Conflicts declared" must be members\' handles, separated by commas; '
                    f"you typed something else as entry {position}"
                ) from exc
            wake += declared.follow.wake
    return FollowUp(wake=tuple(dict.fromkeys(wake)))


@task(task_run_name="findings-{code}")
def save_findings(
    code: str,
    step: str,
    outcome_id: int,
    answer: FindingsAnswer,
    submitted_at: datetime | None = None,
) -> StepFeedback:
    """Record what was found; say whether it counted."""
    return record_answer(code, step, "findings", {"outcome": outcome_id}, answer, submitted_at)


@task(task_run_name="conversations-{code}")
def plan_conversations(code: str) -> list[int]:
    with db.session_scope() as session:
        return conversations.plan_conversations(session, get_incident(session, code))


def conversation_members(conversation_id: int) -> tuple[str, str, str]:
    with db.session_scope() as session:
        return conversations.conversation_members(session, conversation_id)


@task(task_run_name="conversation-{code}-{conversation_id}")
def save_conversation(
    code: str,
    step: str,
    conversation_id: int,
    answer: ConversationAnswer,
    submitted_at: datetime | None = None,
) -> StepFeedback:
    """Record a conversation's notes; say whether they counted."""
    target = {"conversation": conversation_id}
    return record_answer(code, step, "conversation", target, answer, submitted_at)


@task(task_run_name="enact-{code}")
def queue_enactments(code: str) -> list[int]:
    with db.session_scope() as session:
        return outcomes.enact_resolutions(session, get_incident(session, code))


@task(task_run_name="send-message-{message_id}", retries=3, retry_delay_seconds=[1, 5, 20])
def send_message(message_id: int) -> str:
    """Deliver one queued message (once: a sent message is not sent again)."""
    return deliver(message_id)


@task(task_run_name="reporters-{code}")
def reporter_reports(code: str) -> tuple[list[int], list[int]]:
    """Reports whose reporter will be told; the others are recorded as skipped."""
    with db.session_scope() as session:
        incident = get_incident(session, code)
        reachable, skipped = outcomes.reporter_reports(session, incident)
        for report_id in skipped:
            outcomes.record_inform_skipped(session, incident, report_id)
        return reachable, skipped


class LatestDecision(NamedTuple):
    id: int
    status: DecisionStatus


def latest_decision(
    code: str, kind: DecisionKind, report_id: int | None = None
) -> LatestDecision | None:
    """The newest decision of a kind on the incident (for one report, if given)."""
    with db.session_scope() as session:
        found = outcomes.latest_decision(
            session, get_incident(session, code), kind, report_id=report_id
        )
        return LatestDecision(found.id, DecisionStatus(found.status)) if found else None


@task(task_run_name="draft-reporter-message-{code}-{report_id}")
def draft_reporter_message(code: str, report_id: int) -> int:
    with db.session_scope() as session:
        return outcomes.propose_reporter_message(session, get_incident(session, code), report_id)


@task(task_run_name="queue-reporter-message-{code}")
def queue_reporter_message(code: str, decision_id: int) -> int:
    with db.session_scope() as session:
        return outcomes.queue_reporter_message(session, get_incident(session, code), decision_id)


@task(task_run_name="propose-text-{code}")
def save_text(
    code: str,
    step: str,
    kind: DecisionKind,
    report_id: int | None,
    latest_id: int | None,
    answer: StatementAnswer,
    submitted_at: datetime | None = None,
) -> StepFeedback:
    """Record a member's text for sign-off; say whether it counted."""
    target = {"kind": kind.value, "report": report_id, "latest": latest_id or 0}
    return record_answer(code, step, "text", target, answer, submitted_at)


@task(task_run_name="statement-decision-{code}")
def propose_statement_decision(code: str) -> int:
    with db.session_scope() as session:
        return outcomes.propose_statement_decision(session, get_incident(session, code))


@task(task_run_name="publish-statement-{code}", retries=3, retry_delay_seconds=[1, 5, 20])
def publish_statement(code: str, decision_id: int) -> None:
    """Publish the signed-off statement, and tell the team channel where it is."""
    with db.session_scope() as session:
        path = outcomes.publish_statement(session, get_incident(session, code), decision_id)
    notices.announce_statement_published(code, outcomes.shown_path(path))


def open_unilateral_reviews(code: str) -> list[int]:
    with db.session_scope() as session:
        return unilateral.open_unilateral_reviews(session, get_incident(session, code))
