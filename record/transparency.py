"""What a transparency report is drafted from: the records of an edition, without persons.

:func:`edition_facts` reads an edition's incidents into plain facts (catalogue keys, codes,
phases, delays, counts, the team's anonymised summaries); nothing here holds a name, a
contact or a narrative. :func:`series_history` counts the earlier editions of the series.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.tables import Decision, Event, Incident, Member, Report, ReviewOutcome
from models.tables import UnilateralAction as Unilateral
from policy.anonymise import Phase, phase_of
from policy.categories import category_key
from record import audit


@dataclass(frozen=True)
class IncidentFacts:
    code: str
    category: str
    channels: tuple[str, ...]
    reports: int
    phase: Phase
    urgent: bool
    violation: str | None
    resolutions: tuple[str, ...]
    to_acknowledge: timedelta | None
    to_resolve: timedelta | None
    unilateral: int
    law_enforcement: bool
    summary: str | None


@dataclass(frozen=True)
class EditionFacts:
    slug: str
    name: str
    series: str
    starts_on: date
    ends_on: date
    attendees: int | None
    team_size: int
    incidents: tuple[IncidentFacts, ...]
    decisions: dict[str, int]  # status -> count, for the edition's decisions


@dataclass(frozen=True)
class EditionCount:
    name: str
    year: int
    attendees: int | None
    reports: int
    incidents: int
    violations: int


@dataclass(frozen=True)
class Outcome:
    violation: str | None
    resolutions: tuple[str, ...]


def _latest_outcomes(session: Session, incident_ids: list[int]) -> dict[int, Outcome]:
    """The last concluded review outcome of each incident (catalogue columns only)."""
    rows = session.execute(
        select(ReviewOutcome.incident_id, ReviewOutcome.violation, ReviewOutcome.resolutions)
        .where(
            ReviewOutcome.incident_id.in_(incident_ids),
            ReviewOutcome.needs_information.is_(False),
        )
        .order_by(ReviewOutcome.id)
    )
    return {iid: Outcome(violation, tuple(res or ())) for iid, violation, res in rows}


def _reports_by_incident(session: Session, event_id: int) -> dict[int, list[tuple[str, datetime]]]:
    rows = session.execute(
        select(Report.incident_id, Report.channel, Report.received_at)
        .join(Incident, Incident.id == Report.incident_id)
        .where(Incident.event_id == event_id)
    )
    found: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for incident_id, channel, received_at in rows:
        found[incident_id].append((channel, received_at))
    return found


def _unilateral_counts(session: Session, event_id: int) -> dict[int, int]:
    rows = session.execute(
        select(Unilateral.incident_id, func.count())
        .join(Incident, Incident.id == Unilateral.incident_id)
        .where(Incident.event_id == event_id)
        .group_by(Unilateral.incident_id)
    )
    return {incident_id: int(n) for incident_id, n in rows}


def _facts(
    incident: Incident,
    event: Event,
    reports: list[tuple[str, datetime]],
    outcome: Outcome | None,
    unilateral: int,
) -> IncidentFacts:
    first = incident.reported_at
    resolved = incident.resolution_approved_at or incident.closed_at
    return IncidentFacts(
        code=incident.code,
        category=category_key(incident.category),
        channels=tuple(sorted(channel for channel, _ in reports)),  # one per report
        reports=len(reports),
        phase=phase_of(
            first, starts_on=event.starts_on, ends_on=event.ends_on, timezone=event.timezone
        ),
        urgent=incident.urgent,
        violation=outcome.violation if outcome else None,
        resolutions=outcome.resolutions if outcome else (),
        to_acknowledge=incident.acknowledged_at - first if incident.acknowledged_at else None,
        to_resolve=resolved - first if resolved else None,
        unilateral=unilateral,
        law_enforcement=incident.law_enforcement_involved,
        summary=incident.summary,
    )


def edition_facts(session: Session, event: Event, *, reader: str = "care") -> EditionFacts:
    """The edition's incidents as plain facts; reading the summaries is audited once."""
    incidents = list(
        session.scalars(select(Incident).where(Incident.event_id == event.id).order_by(Incident.id))
    )
    outcomes = _latest_outcomes(session, [i.id for i in incidents])
    reports = _reports_by_incident(session, event.id)
    unilateral = _unilateral_counts(session, event.id)
    facts = tuple(
        _facts(i, event, reports.get(i.id, []), outcomes.get(i.id), unilateral.get(i.id, 0))
        for i in incidents
    )
    statuses = session.execute(
        select(Decision.status, func.count())
        .where(Decision.event_id == event.id, Decision.kind != "transparency_report")
        .group_by(Decision.status)
    )
    team = session.scalar(select(func.count()).select_from(Member).where(Member.active)) or 0
    audit.record(
        session, actor=reader, action="transparency.read", event=event.slug, incidents=len(facts)
    )
    return EditionFacts(
        slug=event.slug,
        name=event.name,
        series=event.series,
        starts_on=event.starts_on,
        ends_on=event.ends_on,
        attendees=event.attendees,
        team_size=int(team),
        incidents=facts,
        decisions={status: int(n) for status, n in statuses},
    )


def series_history(session: Session, event: Event) -> list[EditionCount]:
    """Counts for every earlier edition of the event's series, oldest first."""
    earlier = session.scalars(
        select(Event)
        .where(Event.series == event.series, Event.starts_on < event.starts_on)
        .order_by(Event.starts_on)
    )
    history = []
    for past in earlier:
        ids = list(session.scalars(select(Incident.id).where(Incident.event_id == past.id)))
        n_reports = session.scalar(
            select(func.count()).select_from(Report).where(Report.incident_id.in_(ids))
        )
        violations = sum(1 for o in _latest_outcomes(session, ids).values() if o.violation == "yes")
        history.append(
            EditionCount(
                name=past.name,
                year=past.starts_on.year,
                attendees=past.attendees,
                reports=int(n_reports or 0),
                incidents=len(ids),
                violations=violations,
            )
        )
    return history
