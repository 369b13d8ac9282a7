"""The buttons under team notices: acknowledge, approve, object, declare a conflict.

A click proves who clicked (Slack signed it), not that they may: the clicker is looked up
by Slack user id, and the record's own rules decide whether the click counts. Whatever the
outcome, the clicker alone is told why. Runs after Slack has had its answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters import notices, slack
from adapters.outgoing import DeliveryError
from models import db
from models.tables import Member
from models.validation import InvalidInput
from record import audit, urgent_pages
from record import decisions as svc
from record.incidents import declare_conflict, get_incident

log = logging.getLogger("care.intake.slack")
OPEN_REPORT = "care_open_report"

WHY = {
    "unknown_member": "you are not a CARE team member in CARE's records",
    "inactive": "your CARE membership is not active",
    "conflicted": "you have declared a conflict of interest on this case",
    "already_counted": "your approval was already counted (a proposer's counts already)",
    "decision_closed": "this sign-off is already closed",
}


def _why(refusal: str | None) -> str:
    return WHY.get(refusal or "", refusal or "refused")


@dataclass(frozen=True)
class Click:
    action_id: str
    value: str
    user_id: str
    channel_id: str | None
    response_url: str | None
    trigger_id: str | None


@dataclass(frozen=True)
class Outcome:
    reply: str
    after: Callable[[], object] | None = None  # announce / wake, once the record is committed


def handle(click: Click) -> None:
    """Carry out one click and tell the clicker what came of it (never raises)."""
    try:
        if click.action_id == OPEN_REPORT:
            from intake.slack_modal import report_modal

            if click.trigger_id:
                slack.open_view(click.trigger_id, report_modal())
            return
        with db.session_scope() as session:
            outcome = _decide(session, click)
    except InvalidInput as exc:
        outcome = Outcome(f"Nothing was recorded: {exc}.")
    except Exception:  # the clicker must hear that it failed
        log.exception("slack click %s failed", click.action_id)
        outcome = Outcome("Something went wrong; nothing may have been recorded. Please retry.")
    _reply(click, outcome.reply)
    if outcome.after is not None:
        try:
            outcome.after()
        except Exception:
            log.exception("follow-up of slack click %s failed", click.action_id)


def _reply(click: Click, text: str) -> None:
    try:
        slack.tell_privately(
            text, user=click.user_id, channel=click.channel_id, response_url=click.response_url
        )
    except DeliveryError as exc:
        log.warning("could not answer a slack click privately: %s", exc)


def _decide(session: Session, click: Click) -> Outcome:
    member = session.scalar(select(Member).where(Member.slack_user_id == click.user_id))
    if member is None:
        audit.record(
            session, actor=f"slack:{click.user_id}", action="slack.refused", button=click.action_id
        )
        return Outcome(f"This click counts for nothing: {WHY['unknown_member']}.")
    actions = {
        notices.ACK: _acknowledge,
        notices.APPROVE: _answer,
        notices.OBJECT: _answer,
        notices.CONFLICT: _conflict,
    }
    action = actions.get(click.action_id)
    if action is None:
        raise InvalidInput(f"unknown button {click.action_id!r}")
    return action(session, member, click)


def _acknowledge(session: Session, member: Member, click: Click) -> Outcome:
    incident = get_incident(session, click.value)
    result = urgent_pages.acknowledge(session, incident, handle=member.handle, channel="slack")
    if not result.counted:
        return Outcome(f"Your acknowledgement does not count: {_why(result.refusal)}.")
    run_id = incident.escalation_flow_run_id
    first = "You are the first responder. " if result.first else ""
    return Outcome(
        f"{first}You acknowledged {incident.code}; paging stops.",
        after=lambda: _wake(run_id),
    )


def _answer(session: Session, member: Member, click: Click) -> Outcome:
    try:
        decision_id = int(click.value)
    except ValueError:
        raise InvalidInput(f"not a decision id: {click.value[:20]!r}") from None
    verdict: svc.Verdict = "approve" if click.action_id == notices.APPROVE else "object"
    result = svc.answer(
        session, decision_id=decision_id, handle=member.handle, verdict=verdict, channel="slack"
    )
    shown = result.state
    if not result.counted:
        return Outcome(f"Your answer on d{decision_id} does not count: {_why(result.refusal)}.")
    decision = svc.get_decision(session, decision_id)
    approval_id, waiting = decision.approvals[-1].id, decision.flow_run_id
    word = "approval" if verdict == "approve" else "objection"

    def after() -> None:
        notices.announce_approval(decision_id, approval_id)
        if waiting:  # a sign-off run is waiting for answers: let it re-read the record
            from adapters.prefect_api import wake_decision

            wake_decision(decision_id)

    return Outcome(
        f"Your {word} of d{decision_id} counted: {len(shown.approvers)} of {shown.required} "
        f"approvals, {shown.status}.",
        after=after,
    )


def _conflict(session: Session, member: Member, click: Click) -> Outcome:
    if not member.active:
        return Outcome(f"Nothing was recorded: {WHY['inactive']}.")
    incident = get_incident(session, click.value)
    declare_conflict(session, incident, member.handle, actor=member.handle)
    code = incident.code
    waiting = any(d.flow_run_id for d in svc.pending_decisions(session, incident))

    def after() -> None:
        if waiting:  # who may approve changed: open sign-offs re-read the record
            from adapters.prefect_api import wake_open_signoffs

            wake_open_signoffs(code)

    return Outcome(
        f"Conflict recorded for {code}: you will not be paged for it and your approvals on it "
        "will not count. You need not say why.",
        after=after,
    )


def _wake(flow_run_id: str | None) -> None:
    if flow_run_id:
        from adapters.prefect_api import wake

        wake(flow_run_id, patience_s=1.0)
