"""What the console shows a member: their waiting work and an incident's record.

A member with an unwaived conflict on an incident gets only its code and status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import (
    Approval,
    AuditEntry,
    ConflictDeclaration,
    Conversation,
    Decision,
    Draft,
    Incident,
    Member,
    Note,
    Page,
    ReviewOutcome,
)
from policy.waiting import HEADINGS, StepKind
from record import decisions, waiting
from record.acts import form_answer
from record.acts.party import PartyRead
from record.acts.party import read as read_party
from record.incidents import conflicted_handles, get_incident
from record.outcomes import shown_path, statement_path
from record.parties import list_parties
from record.waiting import WaitingItem

CLOSED = "closed"


@dataclass(frozen=True)
class SignOff:
    state: decisions.DecisionState
    timezone: str
    created_at: datetime
    run_url: str | None = None


@dataclass(frozen=True)
class Waiting:
    """Everything waiting on the member, grouped as the page shows it."""

    signoffs: list[SignOff]
    acknowledgements: list[Incident]
    steps: list[tuple[str, list[WaitingItem]]]  # reviews, findings, conversations, texts

    @property
    def nothing(self) -> bool:
        return not (self.signoffs or self.acknowledgements or self.steps)


@dataclass(frozen=True)
class DecisionView:
    decision: Decision
    state: decisions.DecisionState
    approvals: list[Approval]
    may_answer: bool


@dataclass(frozen=True)
class Published:
    at: datetime
    path: str


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
    statement: Published | None = None


def handles(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Member.id, Member.handle)).tuples().all())


def waiting_for(session: Session, member_id: int, handle: str) -> Waiting:
    """Every step waiting on the member (``record.waiting``), grouped by kind."""
    items = waiting.waiting_for(session, handle=handle)
    signoffs = []
    for item in items:
        if item.kind is StepKind.signoff and item.decision_id is not None:
            d = decisions.get_decision(session, item.decision_id)
            incident = session.get(Incident, d.incident_id) if d.incident_id else None
            tz = incident.event.timezone if incident else "UTC"
            signoffs.append(SignOff(decisions.state(session, d), tz, d.created_at, item.run_url))
    urgent_codes = [i.incident_code for i in items if i.kind is StepKind.urgent]
    acks = [get_incident(session, code) for code in urgent_codes if code]
    steps = []
    for kind in (StepKind.review, StepKind.findings, StepKind.conversation, StepKind.text):
        of_kind = [i for i in items if i.kind is kind]
        if of_kind:
            steps.append((HEADINGS[kind], of_kind))
    return Waiting(signoffs, acks, steps)


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
    published = [e for e in view.timeline if e.action == "statement.publish"]
    if published:
        path = shown_path(statement_path(incident.code))
        view.statement = Published(published[0].at, path)
    return view


def restricted_incidents(session: Session, member_id: int) -> set[int]:
    """The incidents on which this member has an unwaived conflict."""
    return set(
        session.scalars(
            select(ConflictDeclaration.incident_id).where(
                ConflictDeclaration.member_id == member_id,
                ConflictDeclaration.waived_by_decision_id.is_(None),
            )
        )
    )


def incident_list(session: Session, member_id: int) -> list[tuple[Incident, bool]]:
    """Every incident, newest first, with whether this member is restricted on it."""
    mine = restricted_incidents(session, member_id)
    rows = session.scalars(select(Incident).order_by(Incident.reported_at.desc(), Incident.id))
    return [(i, i.id in mine) for i in rows]


def drafts_to_finish(session: Session, member_id: int, handle: str) -> list[tuple[Draft, str]]:
    """The member's refused answers still to finish, with their incidents' codes."""
    found = []
    for draft in form_answer.open_drafts(session, member_id=member_id):
        incident = session.get(Incident, draft.incident_id)
        if incident is not None and handle not in conflicted_handles(session, incident.id):
            found.append((draft, incident.code))
    return found


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
