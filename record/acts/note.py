"""Add a note to an incident's record (the console's act; conversation notes come this way too)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from models.tables import Conversation
from models.validation import InvalidInput
from record.acts.follow import NOTHING, FollowUp
from record.incidents import add_note, get_incident

MAX_NOTE = 20_000


@dataclass(frozen=True)
class NoteAdded:
    """The note's id; nothing follows (no flow waits for notes)."""

    incident_code: str
    note_id: int
    follow: FollowUp = NOTHING


def add(
    session: Session,
    *,
    incident_code: str,
    author: str,
    body: str,
    conversation_id: int | None = None,
) -> NoteAdded:
    """Add the member's note, optionally to one of the incident's conversations."""
    incident = get_incident(session, incident_code)
    if len(body) > MAX_NOTE:
        raise InvalidInput(f"a note can be at most {MAX_NOTE} characters")
    if conversation_id is not None:
        conv = session.get(Conversation, conversation_id)
        if conv is None or conv.incident_id != incident.id:
            raise InvalidInput(f"no conversation {conversation_id} on {incident.code}")
    note = add_note(session, incident, author=author, body=body, conversation_id=conversation_id)
    return NoteAdded(incident.code, note.id)
