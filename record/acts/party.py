"""Record the people involved: the one act behind the console, `care party` and the review.

A member records someone involved (reporter, reported person, target, witness), changes
what is known of them, or merges two entries found to be one person. Like a note, the
channel says who acts (a console sign-in, the host's command line); a member with a
conflict on the incident, or no longer active, may not. Every change is audited;
outside the decrypted record a party is only its pseudonym. Nothing waits on parties,
so nothing follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from models.tables import Incident, Member, Party
from policy.parties import PartyRefused, check_edit
from policy.signoff import Refusal, may_approve
from record import audit
from record.acts.follow import NOTHING, FollowUp
from record.identity import find_member, normal
from record.incidents import conflicted_handles, get_incident
from record.members import member_views
from record.parties import (
    PartyNotChanged,
    change_party,
    get_party,
    list_parties,
    merge,
    record_party,
)

WHY = {
    Refusal.conflicted: "you have a conflict of interest on it",
    Refusal.inactive: "your membership is not active",
    Refusal.unknown_member: "they are not a CARE member",
}


@dataclass(frozen=True)
class PartyRecorded:
    """The new party's pseudonym and role (no name: this may be shown anywhere)."""

    incident_code: str
    pseudonym: str
    role: str
    follow: FollowUp = NOTHING


@dataclass(frozen=True)
class PartyChanged:
    incident_code: str
    pseudonym: str
    role: str
    fields: tuple[str, ...]  # what changed; empty if nothing did
    follow: FollowUp = NOTHING


@dataclass(frozen=True)
class PartiesMerged:
    incident_code: str
    merged: str
    into: str
    follow: FollowUp = NOTHING


@dataclass(frozen=True)
class PartyRead:
    """One person involved, decrypted: for the member's eyes only."""

    pseudonym: str
    role: str
    name: str | None
    contact: str | None
    description: str | None
    merged: tuple[str, ...]  # the pseudonyms merged into this one


def add_party_by_member(
    session: Session,
    *,
    incident_code: str,
    handle: str,
    role: str,
    name: str | None,
    contact: str | None = None,
    description: str | None = None,
    channel: str,
) -> PartyRecorded:
    """Record someone involved in the incident under the next pseudonym."""
    incident = get_incident(session, incident_code)
    member = _member(session, incident, handle, channel, "record people involved in")
    party = record_party(
        session,
        incident,
        role_=role,
        name=name,
        contact=contact,
        description=description,
        actor=member.handle,
        via=channel,
    )
    return PartyRecorded(incident.code, party.pseudonym, party.role)


def edit_party(
    session: Session,
    *,
    incident_code: str,
    pseudonym: str,
    handle: str,
    changes: Mapping[str, str | None],
    channel: str,
) -> PartyChanged:
    """Change the role, name, contact or description recorded for a party."""
    incident = get_incident(session, incident_code)
    member = _member(session, incident, handle, channel, "change the people involved in")
    party = get_party(session, incident, pseudonym)
    try:
        checked = check_edit(changes)
    except PartyRefused as exc:
        raise PartyNotChanged(str(exc)) from exc
    fields = change_party(session, incident, party, checked, actor=member.handle, via=channel)
    return PartyChanged(incident.code, party.pseudonym, party.role, tuple(fields))


def merge_parties(
    session: Session,
    *,
    incident_code: str,
    merged: str,
    into: str,
    handle: str,
    channel: str,
) -> PartiesMerged:
    """Merge two entries for one person; the first now stands for the second."""
    incident = get_incident(session, incident_code)
    member = _member(session, incident, handle, channel, "merge the people involved in")
    gone = get_party(session, incident, merged, merged=True)
    kept = get_party(session, incident, into, merged=True)
    merge(session, incident, gone, kept, actor=member.handle, via=channel)
    return PartiesMerged(incident.code, gone.pseudonym, kept.pseudonym)


def read_parties(
    session: Session, *, incident_code: str, handle: str, channel: str
) -> list[PartyRead]:
    """The incident's people involved, decrypted for a member; the reading is audited."""
    incident = get_incident(session, incident_code)
    member = _member(session, incident, handle, channel, "see the people involved in")
    shown = [read(session, p) for p in list_parties(session, incident)]
    audit.record(
        session, actor=member.handle, action="party.list", incident_code=incident.code, via=channel
    )
    return shown


def read(session: Session, party: Party) -> PartyRead:
    merged = tuple(p.pseudonym for p in session.query(Party).filter_by(merged_into_id=party.id))
    return PartyRead(
        party.pseudonym, party.role, party.name, party.contact, party.description, merged
    )


def _member(session: Session, incident: Incident, handle: str, channel: str, what: str) -> Member:
    """The acting member, if they may act on the incident's parties (a refusal changes nothing)."""
    member = find_member(session, handle)
    refusal = may_approve(
        member=normal(handle),
        members=member_views(session),
        conflicted=conflicted_handles(session, incident.id),
        counted=(),
    )
    if refusal is None and member is not None:
        return member
    refusal = refusal or Refusal.unknown_member
    who = member.handle if member is not None else "the member named"
    raise PartyNotChanged(
        f"{who} may not {what} {incident.code}: {WHY.get(refusal, refusal.value)}"
    )
