"""What the console shows a member: their waiting work and an incident's record.

A member with an unwaived conflict on an incident gets only its code and status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.tables import (
    Approval,
    AuditEntry,
    ConflictDeclaration,
    Conversation,
    Decision,
    Incident,
    Member,
    Note,
    Page,
    ReviewOutcome,
)
from policy.signoff import DecisionStatus
from record import decisions
from record.acts.party import PartyRead
from record.acts.party import read as read_party
from record.incidents import conflicted_handles
from record.parties import list_parties

CLOSED = "closed"


@dataclass(frozen=True)
class SignOff:
    state: decisions.DecisionState
    timezone: str
    created_at: datetime


@dataclass(frozen=True)
class Waiting:
    signoffs: list[SignOff]
    acknowledgements: list[Incident]
    conversations: list[tuple[Conversation, str]]


@dataclass(frozen=True)
class DecisionView:
    decision: Decision
    state: decisions.DecisionState
    approvals: list[Approval]
    may_answer: bool


@dataclass
class RecordView:
    incident: Incident
    timezone: str
    restricted: bool
    may_acknowledge: bool = False
    handles: dict[int, str] = field(default_factory=dict)
    conflicts: list[ConflictDeclaration] = field(default_factory=list)
    outcomes: list[ReviewOutcome] = field(default_factory=list)
    decisions: list[DecisionView] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    my_conversations: list[Conversation] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    parties: list[PartyRead] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    timeline: list[AuditEntry] = field(default_factory=list)


def handles(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Member.id, Member.handle)).tuples().all())


def waiting_for(session: Session, member_id: int, handle: str) -> Waiting:
    """Sign-offs the member may still give, urgent cases to acknowledge, conversations."""
    signoffs = []
    for d in session.scalars(select(Decision).where(Decision.status == DecisionStatus.pending)):
        st = decisions.state(session, d)
        if handle in st.eligible:
            incident = session.get(Incident, d.incident_id) if d.incident_id else None
            tz = incident.event.timezone if incident else "UTC"
            signoffs.append(SignOff(st, tz, d.created_at))
    urgent = session.scalars(
        select(Incident)
        .where(Incident.urgent, Incident.first_responder_id.is_(None), Incident.status != CLOSED)
        .order_by(Incident.urgent_at)
    )
    acks = [i for i in urgent if handle not in conflicted_handles(session, i.id)]
    mine = session.scalars(
        select(Conversation).where(
            Conversation.status == "open",
            or_(Conversation.member_a_id == member_id, Conversation.member_b_id == member_id),
        )
    )
    convs = []
    for c in mine:
        incident = session.get(Incident, c.incident_id)
        if incident is not None and handle not in conflicted_handles(session, incident.id):
            convs.append((c, incident.code))
    return Waiting(signoffs, acks, convs)


def is_restricted(session: Session, incident: Incident, handle: str) -> bool:
    return handle in conflicted_handles(session, incident.id)


def record(session: Session, incident: Incident, *, member_id: int, handle: str) -> RecordView:
    """The record as this member may see it."""
    view = RecordView(
        incident=incident,
        timezone=incident.event.timezone,
        restricted=is_restricted(session, incident, handle),
    )
    if view.restricted:
        return view
    view.may_acknowledge = incident.urgent and incident.first_responder_id is None
    view.handles = handles(session)
    where = {"incident_id": incident.id}
    view.conflicts = list(session.scalars(select(ConflictDeclaration).filter_by(**where)))
    view.outcomes = list(session.scalars(select(ReviewOutcome).filter_by(**where)))
    for d in session.scalars(select(Decision).filter_by(**where).order_by(Decision.id)):
        st = decisions.state(session, d)
        view.decisions.append(DecisionView(d, st, list(d.approvals), handle in st.eligible))
    view.conversations = list(session.scalars(select(Conversation).filter_by(**where)))
    view.my_conversations = [
        c
        for c in view.conversations
        if c.status == "open" and member_id in (c.member_a_id, c.member_b_id)
    ]
    view.notes = list(session.scalars(select(Note).filter_by(**where).order_by(Note.id)))
    view.parties = [read_party(session, p) for p in list_parties(session, incident)]
    view.pages = list(session.scalars(select(Page).filter_by(**where).order_by(Page.id)))
    view.timeline = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.incident_code == incident.code)
            .order_by(AuditEntry.seq)
        )
    )
    return view


def incident_list(session: Session, member_id: int) -> list[tuple[Incident, bool]]:
    """Every incident, newest first, with whether this member is restricted on it."""
    mine = set(
        session.scalars(
            select(ConflictDeclaration.incident_id).where(
                ConflictDeclaration.member_id == member_id,
                ConflictDeclaration.waived_by_decision_id.is_(None),
            )
        )
    )
    rows = session.scalars(select(Incident).order_by(Incident.reported_at.desc(), Incident.id))
    return [(i, i.id in mine) for i in rows]


SAID = {
    "party.add": "{pseudonym} ({role}) recorded under People involved.",
    "party.edit": "{pseudonym} ({role}) changed under People involved.",
    "party.merge": "{merged} merged into {into}: one person under People involved.",
}
PARTY_DONE = {"party": "party.add", "party-edit": "party.edit", "party-merge": "party.merge"}


def party_done(session: Session, incident: Incident, handle: str, done: str) -> str | None:
    """What the member's last change to the people involved was, in words (pseudonyms only)."""
    action = PARTY_DONE.get(done)
    if action is None:
        return None
    last = session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.incident_code == incident.code,
            AuditEntry.actor == handle,
            AuditEntry.action == action,
        )
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    )
    if last is None:
        return "Nothing was changed under People involved."
    try:
        return SAID[action].format(**json.loads(last.detail))
    except (ValueError, KeyError):
        return "Your change is recorded under People involved."
