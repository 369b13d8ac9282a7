"""Incidents, reports, parties, conflicts and notes: the record's main service functions."""

from __future__ import annotations

import hashlib

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.db import utcnow
from models.schemas import ReportIn
from models.tables import (
    Attachment,
    ConflictDeclaration,
    Event,
    Incident,
    Note,
    Party,
    Report,
)
from models.validation import InvalidInput
from policy.codes import incident_code, parse_incident_code
from policy.status import IncidentStatus, check_transition
from record import audit
from record.events import current_event, get_event
from record.members import get_member
from record.parties import record_party

MILESTONES = {
    IncidentStatus.acknowledged: "receipt_sent_at",
    IncidentStatus.in_review: "review_started_at",
    IncidentStatus.closed: "closed_at",
}


class UnknownIncident(InvalidInput):
    pass


def message_key(channel: str, message_id: str) -> str:
    """The dedupe key for a channel's own message id (never stored in the clear)."""
    return hashlib.sha256(f"{channel}\x00{message_id}".encode()).hexdigest()


def get_incident(session: Session, code: str) -> Incident:
    try:
        prefix, number = parse_incident_code(code)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    found = session.scalar(select(Incident).where(Incident.code == incident_code(prefix, number)))
    if found is None:
        raise UnknownIncident(f"no incident {code!r}")
    return found


def list_incidents(session: Session, *, event: Event | None = None) -> list[Incident]:
    query = select(Incident).order_by(Incident.id)
    if event is not None:
        query = query.where(Incident.event_id == event.id)
    return list(session.scalars(query))


def _new_incident(session: Session, event: Event, *, urgent: bool) -> Incident:
    number = (
        session.execute(
            update(Event)
            .where(Event.id == event.id)
            .values(next_incident_number=Event.next_incident_number + 1)
            .returning(Event.next_incident_number)
        ).scalar_one()
        - 1
    )
    incident = Incident(
        event_id=event.id,
        code=incident_code(event.code_prefix, number),
        number=number,
        status=IncidentStatus.reported.value,
        urgent=urgent,
        urgent_at=utcnow() if urgent else None,
    )
    session.add(incident)
    session.flush()
    return incident


def find_report(session: Session, channel: str, message_id: str) -> Report | None:
    key = message_key(channel, message_id)
    return session.scalar(select(Report).where(Report.channel_message_key == key))


def store_report(session: Session, report: ReportIn) -> tuple[Incident, Report, bool]:
    """Store a report, attached to a new or the named incident.

    Returns (incident, report, created). A second delivery of the same channel message
    returns the first one with created False and changes nothing.
    """
    existing = find_report(session, report.channel, report.channel_message_id)
    if existing is not None:
        return existing.incident, existing, False
    relayed_by = get_member(session, report.relayed_by).id if report.relayed_by else None
    if report.incident_code:
        incident = get_incident(session, report.incident_code)
    else:
        event = (
            get_event(session, report.event_slug)
            if report.event_slug
            else current_event(session, utcnow().date())
        )
        incident = _new_incident(session, event, urgent=report.urgent)
    row = Report(
        incident_id=incident.id,
        channel=report.channel,
        channel_message_key=message_key(report.channel, report.channel_message_id),
        anonymous=report.anonymous,
        reporter_name=report.reporter_name,
        reporter_contact=report.reporter_contact,
        contact_kind=report.contact_kind,
        consent_to_contact=report.consent_to_contact,
        relayed_by_id=relayed_by,
        urgent=report.urgent,
        narrative=report.narrative,
        when_text=report.when_text,
        where_text=report.where_text,
        involved_text=report.involved_text,
        witnesses_text=report.witnesses_text,
        thread_ref=report.thread_ref,
    )
    row.attachments = [
        Attachment(
            filename=a.filename,
            content_type=a.content_type,
            size=len(a.content),
            content=a.content,
        )
        for a in report.attachments
    ]
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the same delivery, stored a moment ago by another process
        again = find_report(session, report.channel, report.channel_message_id)
        if again is None:
            raise
        return again.incident, again, False
    if report.urgent and not incident.urgent:
        incident.urgent = True
        incident.urgent_at = utcnow()
    if report.where_text and incident.location is None:
        incident.location = report.where_text
    audit.record(
        session,
        actor=f"staff:{report.relayed_by}" if report.relayed_by else f"intake:{report.channel}",
        action="report.store",
        incident_code=incident.code,
        report=row.id,
        channel=report.channel,
        urgent=report.urgent,
        anonymous=report.anonymous,
        attachments=len(report.attachments),
    )
    return incident, row, True


def set_status(session: Session, incident: Incident, new: IncidentStatus, *, actor: str) -> None:
    """Move the incident to a new status; an illegal move raises IllegalTransition."""
    old = IncidentStatus(incident.status)
    check_transition(old, new, code=incident.code)
    incident.status = new.value
    stamp = MILESTONES.get(new)
    if stamp and getattr(incident, stamp) is None:
        setattr(incident, stamp, utcnow())
    audit.record(
        session,
        actor=actor,
        action="incident.status",
        incident_code=incident.code,
        old=old.value,
        new=new.value,
    )


def mark_urgent(session: Session, incident: Incident, *, actor: str) -> bool:
    """Flag the incident urgent; return True if it was not already."""
    if incident.urgent:
        return False
    incident.urgent = True
    incident.urgent_at = utcnow()
    audit.record(session, actor=actor, action="incident.urgent", incident_code=incident.code)
    return True


def add_party(
    session: Session,
    incident: Incident,
    *,
    role: str,
    name: str | None = None,
    contact: str | None = None,
    description: str | None = None,
    actor: str,
) -> Party:
    """Record a party (no member check: the seed's and the tests'; members use record.acts)."""
    return record_party(
        session,
        incident,
        role_=role,
        name=name,
        contact=contact,
        description=description,
        actor=actor,
    )


def declare_conflict(
    session: Session,
    incident: Incident,
    handle: str,
    *,
    reason: str | None = None,
    actor: str | None = None,
) -> ConflictDeclaration:
    member = get_member(session, handle)
    existing = session.scalar(
        select(ConflictDeclaration).where(
            ConflictDeclaration.incident_id == incident.id,
            ConflictDeclaration.member_id == member.id,
        )
    )
    if existing is not None:
        return existing
    declaration = ConflictDeclaration(incident_id=incident.id, member_id=member.id, reason=reason)
    session.add(declaration)
    session.flush()
    audit.record(
        session,
        actor=actor or member.handle,
        action="conflict.declare",
        incident_code=incident.code,
        member=member.handle,
    )
    return declaration


def conflicted_handles(session: Session, incident_id: int) -> set[str]:
    """Members with a conflict on the incident that the team has not waived."""
    rows = session.scalars(
        select(ConflictDeclaration).where(
            ConflictDeclaration.incident_id == incident_id,
            ConflictDeclaration.waived_by_decision_id.is_(None),
        )
    )
    return {row.member.handle for row in rows}


def add_note(
    session: Session,
    incident: Incident,
    *,
    author: str,
    body: str,
    conversation_id: int | None = None,
) -> Note:
    if not body.strip():
        raise InvalidInput("a note cannot be empty")
    member = get_member(session, author)
    note = Note(
        incident_id=incident.id, author_id=member.id, body=body, conversation_id=conversation_id
    )
    session.add(note)
    session.flush()
    audit.record(
        session,
        actor=member.handle,
        action="note.add",
        incident_code=incident.code,
        note=note.id,
        conversation=conversation_id,
    )
    return note
