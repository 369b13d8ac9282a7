"""The buttons under team notices: acknowledge, approve, object, declare a conflict.

A click proves who clicked (Slack signed it), not that they may: the clicker is looked up
by Slack user id, and the record's own rules decide whether the click counts. Whatever the
outcome, the clicker alone is told why. Runs after Slack has had its answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters import notices, slack
from adapters.follow_up import carry_out
from adapters.outgoing import DeliveryError
from models import db
from models.db import utcnow
from models.tables import Member
from models.validation import InvalidInput
from policy.signoff import REASONS, Refusal
from record import audit
from record.acts import conflict
from record.acts.acknowledge import take_urgent_case
from record.acts.answer import Verdict, answer_decision
from record.acts.follow import NOTHING, FollowUp

log = logging.getLogger("care.intake.slack")
OPEN_REPORT = "care_open_report"

WHY = {
    "unknown_member": "you are not a CARE team member in CARE's records",
    "inactive": "your CARE membership is not active",
    "conflicted": "you have declared a conflict of interest on this case",
    "already_counted": "your approval was already counted (a proposer's counts already)",
    "decision_closed": "this sign-off is already closed",
    Refusal.text_not_read.value: REASONS[Refusal.text_not_read],
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
    at: datetime = field(default_factory=utcnow)  # when Slack delivered the click


@dataclass(frozen=True)
class Outcome:
    reply: str
    follow: FollowUp = NOTHING  # announce / wake, once the record is committed


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
    carry_out(outcome.follow)


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
    result = take_urgent_case(
        session,
        incident_code=click.value,
        handle=member.handle,
        channel="slack",
        submitted_at=click.at,
    )
    if not result.counted:
        return Outcome(f"Your acknowledgement does not count: {_why(result.refusal)}.")
    first = "You are the first responder. " if result.first else ""
    return Outcome(
        f"{first}You acknowledged {result.incident_code}; paging stops.", follow=result.follow
    )


def _answer(session: Session, member: Member, click: Click) -> Outcome:
    try:
        decision_id = int(click.value)
    except ValueError:
        raise InvalidInput(f"not a decision id: {click.value[:20]!r}") from None
    verdict: Verdict = "approve" if click.action_id == notices.APPROVE else "object"
    result = answer_decision(
        session,
        decision_id=decision_id,
        handle=member.handle,
        verdict=verdict,
        channel="slack",
        submitted_at=click.at,
    )
    if not result.counted:
        return Outcome(f"Your answer on d{decision_id} does not count: {_why(result.refusal)}.")
    shown, word = result.state, "approval" if verdict == "approve" else "objection"
    return Outcome(
        f"Your {word} of d{decision_id} counted: {len(shown.approvers)} of {shown.required} "
        f"approvals, {shown.status}.",
        follow=result.follow,
    )


def _conflict(session: Session, member: Member, click: Click) -> Outcome:
    result = conflict.declare(
        session, incident_code=click.value, handle=member.handle, channel="slack"
    )
    if not result.counted:
        return Outcome(f"Nothing was recorded: {_why(result.refusal)}.")
    return Outcome(
        f"Conflict recorded for {result.incident_code}: you will not be paged for it and your "
        "approvals on it will not count. You need not say why.",
        follow=result.follow,
    )
