"""The team's anonymised summary of each incident: who may write it, and storing it."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import task

from models import db
from models.tables import ReviewOutcome
from models.validation import InvalidInput
from policy.anonymise import phase_of
from policy.categories import category_label
from policy.members import available
from policy.report_labels import PHASE_LABELS, resolution_label
from record.incidents import conflicted_handles, get_incident
from record.members import get_member, member_views
from record.summaries import set_summary, summary_revision
from tasks.transparency import DraftCheck


@dataclass(frozen=True)
class SummaryRequest:
    """What a summary form may show: codes and catalogue labels, never the record's text."""

    code: str
    step: str
    category: str
    phase: str
    resolutions: tuple[str, ...]
    writers: tuple[str, ...]
    leak_kinds: tuple[str, ...]


def _request(code: str, leak_kinds: tuple[str, ...]) -> SummaryRequest:
    from sqlalchemy import select

    with db.session_scope() as session:
        incident = get_incident(session, code)
        event = incident.event
        outcome = session.scalars(
            select(ReviewOutcome)
            .where(ReviewOutcome.incident_id == incident.id)
            .order_by(ReviewOutcome.id.desc())
        ).first()
        phase = phase_of(
            incident.reported_at,
            starts_on=event.starts_on,
            ends_on=event.ends_on,
            timezone=event.timezone,
        )
        writers = available(member_views(session), conflicted_handles(session, incident.id))
        return SummaryRequest(
            code=incident.code,
            step=f"summary-{incident.code.lower()}-{summary_revision(session, incident)}",
            category=category_label(incident.category),
            phase=PHASE_LABELS[phase.value],
            resolutions=tuple(resolution_label(r) for r in (outcome.resolutions or ()))
            if outcome
            else (),
            writers=tuple(writers),
            leak_kinds=leak_kinds,
        )


@task(task_run_name="summaries-to-ask-{check.event_slug}")
def summaries_to_ask(check: DraftCheck) -> list[SummaryRequest]:
    """Incidents still without a summary, and those whose summary leaks personal data."""
    leaked: dict[str, list[str]] = {}
    for spot in check.leaks:
        if spot.incident_code:
            leaked.setdefault(spot.incident_code, []).append(spot.kind)
    codes = list(dict.fromkeys([*check.without_summary, *leaked]))
    return [_request(code, tuple(sorted(set(leaked.get(code, []))))) for code in codes]


@task(task_run_name="write-summary-{incident_code}")
def write_summary(incident_code: str, *, member: str, text: str) -> bool:
    """Store a member's summary; False if the member is not an active member.

    No authenticator code: a summary decides nothing. What is published is decided by the
    team's sign-off of the whole draft, which does prove who approved.
    """
    with db.session_scope() as session:
        try:
            writer = get_member(session, member)
        except InvalidInput:
            return False
        if not writer.active:
            return False
        set_summary(session, get_incident(session, incident_code), text, actor=writer.handle)
    return True
