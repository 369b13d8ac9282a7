"""Editions with closed incidents, for the transparency report and the retention purge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.schemas import AttachmentIn, ReportIn
from models.tables import Incident, ReviewOutcome, UnilateralAction
from record.events import add_event
from record.incidents import add_note, add_party, get_incident, store_report

# more distinctive strings: found anywhere in the clear after the purge, they are a leak
PEOPLE = {
    "party_name": "Isembard Crowthorne",
    "party_email": "isembard.crowthorne@example.com",
    "party_org": "Crowthorne Widgets Ltd",
    "talk_title": "Monads for the Perplexed Gardener",
    "witness": "Philippa Dunmore",
    "attachment": "screenshot-isembard.png",
    "attachment_bytes": "PIXELS-OF-ISEMBARD",
    "what_happened": "Crowthorne shouted at the registration desk volunteer",
    "phone": "+447700900123",
}


@dataclass(frozen=True)
class Spec:
    category: str
    channel: str = "web"
    day: int = 2  # days after the event's start (negative: before, > length: after)
    urgent: bool = False
    violation: str = "yes"
    resolutions: tuple[str, ...] = ("stop_behaviour",)
    receipt_h: float = 1.0
    resolve_h: float = 20.0
    duplicates: int = 0
    summary: str | None = None
    unilateral: bool = False


def add_edition(session: Session, slug: str, year: int, *, attendees: int = 400) -> None:
    add_event(
        session,
        slug_=slug,
        name=f"DjangoCon Europe {year}",
        code_prefix=f"DCE{year % 100}",
        starts_on=date(year, 4, 20),
        ends_on=date(year, 4, 24),
        timezone_="Europe/Dublin",
        series="djangocon-europe",
        attendees=attendees,
    )


def add_incident(session: Session, slug: str, year: int, spec: Spec, n: int) -> str:
    report = ReportIn(
        channel=spec.channel,
        channel_message_id=f"{slug}-{n}",
        narrative=f"{PEOPLE['party_name']} kept interrupting my talk and then followed me out {n}",
        involved_text=PEOPLE["party_name"],
        witnesses_text=PEOPLE["witness"],
        reporter_name=f"Reporter Number{n}",
        reporter_contact=f"reporter{n}@example.net",
        contact_kind="email",
        urgent=spec.urgent,
        event_slug=slug,
        attachments=[
            AttachmentIn(filename=PEOPLE["attachment"], content=PEOPLE["attachment_bytes"].encode())
        ],
    )
    incident, _report, _new = store_report(session, report)
    for d in range(spec.duplicates):
        dup = report.model_copy(
            update={"channel_message_id": f"{slug}-{n}-dup{d}", "incident_code": incident.code}
        )
        store_report(session, dup)
    reported = datetime(year, 4, 20, 9, tzinfo=UTC) + timedelta(days=spec.day)
    _close(session, incident, spec, reported)
    add_party(
        session,
        incident,
        role="reported",
        name=PEOPLE["party_name"],
        actor="ana",
        contact=PEOPLE["party_email"],
    )
    party = incident.parties[-1] if incident.parties else None
    if party is not None:
        party.organisation, party.talk_title = PEOPLE["party_org"], PEOPLE["talk_title"]
    add_note(session, incident, author="ana", body=f"Spoke with {PEOPLE['party_name']}")
    return incident.code


def _close(session: Session, incident: Incident, spec: Spec, reported: datetime) -> None:
    incident.reported_at = reported
    for report in incident.reports:
        report.received_at = reported
    incident.category = spec.category
    incident.receipt_sent_at = reported + timedelta(hours=spec.receipt_h)
    incident.resolution_approved_at = reported + timedelta(hours=spec.resolve_h)
    incident.closed_at = incident.resolution_approved_at
    incident.status = "closed"
    incident.summary = spec.summary
    session.add(
        ReviewOutcome(
            incident_id=incident.id,
            violation=spec.violation,
            resolutions=list(spec.resolutions),
            what_happened=PEOPLE["what_happened"],
            severity="medium",
        )
    )
    if spec.unilateral:
        session.add(
            UnilateralAction(
                incident_id=incident.id,
                member_id=1,
                action=f"Asked {PEOPLE['party_name']} to leave the room",
                review_due_at=reported + timedelta(hours=24),
            )
        )
    session.flush()


def tell_reporter(session: Session, code: str, *, explanation: str | None = None) -> int:
    """Sign the incident's outcome off, then tell its reporter in CARE's own template.

    The message is drafted, signed off and queued as the lifecycle does; its body (the
    template's text, the catalogue labels, the team's explanation) stays in the record.
    """
    from policy.signoff import DecisionKind
    from record import decisions, outcomes
    from record.review import summarise

    incident = get_incident(session, code)
    outcome = incident_outcome(session, incident)
    outcome.reporter_explanation = explanation
    review = decisions.propose(
        session,
        kind=DecisionKind.review_outcome,
        summary=summarise(outcome),
        proposer=None,
        incident=incident,
    )
    review.status, outcome.decision_id = "approved", review.id
    (report_id, *_), _skipped = outcomes.reporter_reports(session, incident)
    message = outcomes.propose_reporter_message(session, incident, report_id)
    decisions.get_decision(session, message).status = "approved"
    return outcomes.queue_reporter_message(session, incident, message)


def incident_outcome(session: Session, incident: Incident) -> ReviewOutcome:
    rows = session.scalars(select(ReviewOutcome).where(ReviewOutcome.incident_id == incident.id))
    return list(rows)[-1]
