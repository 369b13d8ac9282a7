"""Conversations with bad actors: two members, neither conflicted, notes into the record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.db import utcnow
from models.tables import Conversation, Incident, Member, Party
from policy.conversations import choose_conversation_pair
from policy.refusals import NOT_HOLDER
from record import audit, decisions, parties
from record.incidents import add_note, conflicted_handles
from record.members import member_views
from record.review import ReviewRefused, approved_outcome, refused


def plan_conversations(session: Session, incident: Incident) -> list[int]:
    """Assign two members to talk with each bad actor; return the open conversations."""
    outcome = approved_outcome(session, incident)
    if outcome is not None and outcome.violation == "yes":
        for pseudonym in outcome.bad_actors or []:
            _assign(session, incident, pseudonym)
    query = select(Conversation.id).where(
        Conversation.incident_id == incident.id, Conversation.status == "open"
    )
    return list(session.scalars(query.order_by(Conversation.id)))


def _assign(session: Session, incident: Incident, pseudonym: str) -> None:
    party = parties.find_party(session, incident, pseudonym)  # a merged one: the kept one
    if party is None or session.scalar(
        select(Conversation.id).where(Conversation.party_id == party.id)
    ):
        return
    busy: dict[str, int] = {}
    for conv in session.scalars(select(Conversation).where(Conversation.status == "open")):
        for member_id in (conv.member_a_id, conv.member_b_id):
            handle = session.get(Member, member_id)
            if handle is not None:
                busy[handle.handle] = busy.get(handle.handle, 0) + 1
    first, second = choose_conversation_pair(
        members=member_views(session),
        conflicted=conflicted_handles(session, incident.id),
        busy=busy,
    )
    ids = {m.handle: m.id for m in session.scalars(select(Member))}
    conv = Conversation(
        incident_id=incident.id, party_id=party.id, member_a_id=ids[first], member_b_id=ids[second]
    )
    session.add(conv)
    session.flush()
    audit.record(
        session,
        actor="care",
        action="conversation.assign",
        incident_code=incident.code,
        conversation=conv.id,
        party=party.pseudonym,
        members=[first, second],
    )


def conversation_members(session: Session, conversation_id: int) -> tuple[str, str, str]:
    """The two members holding a conversation and the party's pseudonym."""
    conv = session.get(Conversation, conversation_id)
    assert conv is not None
    a, b = session.get(Member, conv.member_a_id), session.get(Member, conv.member_b_id)
    party = session.get(Party, conv.party_id) if conv.party_id else None
    party = parties.resolve(session, party) if party is not None else None
    assert a is not None and b is not None
    return a.handle, b.handle, party.pseudonym if party else "-"


def record_conversation(
    session: Session,
    incident: Incident,
    *,
    conversation_id: int,
    member: str,
    code: str,
    notes: str,
    held: bool,
    channel: str = "ui",
    submitted_at: datetime | None = None,
) -> None:
    """Add a conversation's notes to the record; mark it held when it took place."""
    conv = session.get(Conversation, conversation_id)
    if conv is None or conv.incident_id != incident.id:
        raise ReviewRefused(f"no conversation {conversation_id} on {incident.code}")
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
    if row.id not in (conv.member_a_id, conv.member_b_id):
        raise refused(row, NOT_HOLDER)
    if notes.strip():
        add_note(session, incident, author=row.handle, body=notes, conversation_id=conv.id)
    if held:
        conv.status, conv.done_at = "done", utcnow()
        audit.record(
            session,
            actor=row.handle,
            action="conversation.held",
            incident_code=incident.code,
            conversation=conv.id,
        )
