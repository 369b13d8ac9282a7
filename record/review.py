"""The team's review of an incident: what happened, was it a violation, who, what to do.

A review outcome is recorded by a member who proves who they are; unless it asks for more
information, it opens a `review_outcome` decision that a second member must sign off. An
objection sends the incident back to review. `review_stage` says where the review stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.answers import INTENT, ReviewAnswer
from models.db import utcnow
from models.tables import Decision, Incident, Member, ReviewOutcome
from models.validation import InvalidInput
from policy.categories import Category
from policy.parties import PartyRefused
from policy.refusals import not_counted
from policy.resolutions import Severity, Violation, check_outcome, validate_resolutions
from policy.signoff import DecisionKind, DecisionStatus
from record import audit, decisions, parties

PSEUDONYM = re.compile(r"P\d{1,4}")


class ReviewRefused(InvalidInput):
    """A review answer that cannot be recorded; the message names no one but a handle.

    It goes back into the Prefect form's description, so it names the field and why, and
    never repeats what a member typed. ``reason`` is the refusal's key
    (``policy.refusals``) when the member may not answer, ``member`` their known handle.
    """

    def __init__(self, message: str, *, reason: str | None = None, member: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.member = member


def refused(member: Member | None, reason: str) -> ReviewRefused:
    """The refusal of a member's answer, in plain words (``policy.refusals``)."""
    handle = member.handle if member is not None else None
    return ReviewRefused(not_counted(who(member), reason), reason=reason, member=handle)


@dataclass(frozen=True)
class ReviewStage:
    step: Literal["review", "gather", "signoff", "done"]
    round: int
    outcome_id: int | None = None
    decision_id: int | None = None


def _check(session: Session, incident: Incident, review: ReviewAnswer) -> list[str]:
    if review.needs_more_information:
        if not review.information_to_gather.strip():
            raise ReviewRefused("say what information to gather")
        return []
    if not review.what_happened.strip():
        raise ReviewRefused("describe what happened")
    try:
        Category(review.category)
        violation = Violation(review.violation)
        Severity(review.severity)
        chosen = list(review.resolutions)
        validate_resolutions(chosen, other_text_given=bool(review.other_resolution.strip()))
        check_outcome(violation, chosen)
    except ValueError as exc:
        raise ReviewRefused(str(exc)) from exc
    if review.intentional not in INTENT:
        raise ReviewRefused(f"intentional must be one of {', '.join(INTENT)}")
    return chosen


def _check_bad_actors(session: Session, incident: Incident, bad_actors: list[str]) -> list[str]:
    """The parties named, as the pseudonyms they stand for now (a merged one names the kept
    one); a refusal never repeats what was typed."""
    for position, entry in enumerate(bad_actors, start=1):
        if not PSEUDONYM.fullmatch(entry):
            raise ReviewRefused(
                f'"Bad actors" must be pseudonyms such as P1, separated by commas; '
                f"you typed something else as entry {position}"
            )
    found = {p: parties.find_party(session, incident, p) for p in bad_actors}
    unknown = sorted(p for p, party in found.items() if party is None)
    if unknown:
        known = ", ".join(p.pseudonym for p in parties.list_parties(session, incident))
        raise ReviewRefused(
            f'"Bad actors": {", ".join(unknown)} not a party of {incident.code} '
            f"(its parties: {known or 'none recorded yet'}). Add the person first: in this "
            'form\'s "People to add" (e.g. "reported: their name"), on the console\'s record '
            f"page under People involved, or with `care party add {incident.code} --role "
            "reported --name NAME --member YOUR-HANDLE`."
        )
    return sorted({party.pseudonym for party in found.values() if party is not None})


def _add_people(session: Session, incident: Incident, review: ReviewAnswer, member: Member) -> None:
    """Record the people the review adds, before its bad actors are checked."""
    try:
        people = review.people_to_add()
    except PartyRefused as exc:
        raise ReviewRefused(f'"People to add": {exc}') from exc
    for role, name in people:
        parties.record_party(
            session, incident, role_=role.value, name=name, actor=member.handle, via="review"
        )


def who(member: Member | None) -> str:
    """A refused member as a refusal may name them: a known handle, never a typed text."""
    return member.handle if member is not None else "the member chosen (not a CARE member)"


def record_review(
    session: Session,
    incident: Incident,
    review: ReviewAnswer,
    *,
    channel: str = "ui",
    submitted_at: datetime | None = None,
) -> ReviewOutcome:
    """Record a review outcome; open its sign-off unless more information is needed.

    The code is checked at ``submitted_at``, when the member gave the answer."""
    member, refusal = decisions.check_member(
        session,
        handle=review.reviewer,
        code=review.code,
        incident=incident,
        channel=channel,
        submitted_at=submitted_at,
    )
    if refusal is not None or member is None:
        audit.record(
            session,
            actor=review.reviewer[:64],
            action="review.refused",
            incident_code=incident.code,
            reason=str(refusal),
        )
        raise refused(member, str(refusal))
    _add_people(session, incident, review, member)
    chosen = _check(session, incident, review)
    bad_actors = [] if review.needs_more_information else review.pseudonyms()
    named = _check_bad_actors(session, incident, bad_actors)
    outcome = ReviewOutcome(
        incident_id=incident.id,
        reviewer_id=member.id,
        needs_information=review.needs_more_information,
        information_to_gather=review.information_to_gather or None,
        what_happened=review.what_happened or None,
        violation=None if review.needs_more_information else review.violation,
        bad_actors=named,
        intentional=review.intentional,
        severity=review.severity,
        resolutions=chosen,
        other_resolution=review.other_resolution or None,
        reporter_explanation=review.reporter_explanation or None,
    )
    session.add(outcome)
    session.flush()
    if not review.needs_more_information:
        incident.category = review.category
        incident.happened_in_public = review.happened_in_public
        incident.law_enforcement_involved = review.law_enforcement_involved
        outcome.decision_id = decisions.propose(
            session,
            kind=DecisionKind.review_outcome,
            summary=summarise(outcome),
            proposer=member.handle,
            incident=incident,
            payload={"review_outcome": outcome.id},
            idempotency_key=f"review-{incident.code}-{outcome.id}",
        ).id
    audit.record(
        session,
        actor=member.handle,
        action="review.record",
        incident_code=incident.code,
        outcome=outcome.id,
        needs_information=review.needs_more_information,
    )
    return outcome


def summarise(outcome: ReviewOutcome) -> str:
    """The outcome in catalogue terms only: what a notice or a pause form may show."""
    actors = ", ".join(outcome.bad_actors or []) or "none"
    return (
        f"violation: {outcome.violation}; severity: {outcome.severity}; "
        f"intentional: {outcome.intentional}; bad actors: {actors}; "
        f"resolutions: {', '.join(outcome.resolutions or [])}"
    )


def review_stage(session: Session, incident: Incident) -> ReviewStage:
    """Where the review of an incident stands, from the record."""
    count = session.scalar(select(func.count()).where(ReviewOutcome.incident_id == incident.id))
    latest = session.scalars(
        select(ReviewOutcome)
        .where(ReviewOutcome.incident_id == incident.id)
        .order_by(ReviewOutcome.id.desc())
        .limit(1)
    ).first()
    rounds = int(count or 0)
    if latest is None:
        return ReviewStage("review", 1)
    if latest.needs_information:
        if latest.findings is None:
            return ReviewStage("gather", rounds, outcome_id=latest.id)
        return ReviewStage("review", rounds + 1)
    decision = session.get(Decision, latest.decision_id) if latest.decision_id else None
    status = decision.status if decision else DecisionStatus.withdrawn
    if status == DecisionStatus.approved:
        return ReviewStage("done", rounds, outcome_id=latest.id, decision_id=latest.decision_id)
    if status == DecisionStatus.pending:
        return ReviewStage("signoff", rounds, outcome_id=latest.id, decision_id=latest.decision_id)
    return ReviewStage("review", rounds + 1)


def approved_outcome(session: Session, incident: Incident) -> ReviewOutcome | None:
    """The review outcome the team signed off, if any."""
    stage = review_stage(session, incident)
    return session.get(ReviewOutcome, stage.outcome_id) if stage.step == "done" else None


def record_findings(
    session: Session,
    incident: Incident,
    *,
    outcome_id: int,
    member: str,
    code: str,
    text: str,
    channel: str = "ui",
    submitted_at: datetime | None = None,
) -> None:
    """Record what was found when the review asked for more information."""
    row, refusal = decisions.check_member(
        session,
        handle=member,
        code=code,
        incident=incident,
        channel=channel,
        submitted_at=submitted_at,
    )
    if refusal is not None or row is None:
        raise refused(row, str(refusal))
    if not text.strip():
        raise ReviewRefused("write down what was found")
    outcome = session.get(ReviewOutcome, outcome_id)
    if outcome is None or outcome.incident_id != incident.id:
        raise ReviewRefused(f"no review round {outcome_id} on {incident.code}")
    outcome.findings, outcome.findings_by_id, outcome.findings_at = text, row.id, utcnow()
    audit.record(
        session,
        actor=row.handle,
        action="review.findings",
        incident_code=incident.code,
        outcome=outcome_id,
    )
