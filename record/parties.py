"""The people involved in an incident, on the record: recorded, changed, merged, resolved.

A party merged into another stays in the table under its own pseudonym, hidden from the
lists; wherever the old pseudonym is named (a review's bad actors, a conversation) it
resolves to the party it was merged into. The audit trail names pseudonyms, roles and the
fields changed, never a name or a contact.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.db import utcnow
from models.tables import Incident, Party
from models.validation import InvalidInput
from policy.parties import (
    PartyRefused,
    PartyView,
    check_lengths,
    merge_refusal,
    merged_values,
    next_pseudonym,
    role,
)
from record import audit

TRIES = 3  # two members adding a party at the same moment: the second takes the next number


class PartyNotChanged(InvalidInput):
    """A party cannot be recorded, changed or merged like this; the message names no one."""


def all_parties(session: Session, incident: Incident) -> list[Party]:
    """Every party of the incident, merged ones included, in the order recorded."""
    query = select(Party).where(Party.incident_id == incident.id).order_by(Party.id)
    return list(session.scalars(query))


def list_parties(session: Session, incident: Incident) -> list[Party]:
    """The incident's parties as members see them: one entry a person (merged ones hidden)."""
    return [p for p in all_parties(session, incident) if p.merged_into_id is None]


def resolve(session: Session, party: Party) -> Party:
    """The party this one stands for now: itself, or the one it was merged into."""
    seen = {party.id}
    while party.merged_into_id is not None:
        into = session.get(Party, party.merged_into_id)
        if into is None or into.id in seen:
            break
        seen.add(into.id)
        party = into
    return party


def entry(session: Session, incident: Incident, pseudonym: str) -> Party | None:
    """The entry recorded under this pseudonym, merged or not, or None."""
    return session.scalar(
        select(Party).where(
            Party.incident_id == incident.id, Party.pseudonym == pseudonym.strip().upper()
        )
    )


def find_party(session: Session, incident: Incident, pseudonym: str) -> Party | None:
    """The party a pseudonym names now (following merges), or None."""
    found = entry(session, incident, pseudonym)
    return resolve(session, found) if found is not None else None


def get_party(
    session: Session, incident: Incident, pseudonym: str, *, merged: bool = False
) -> Party:
    """The party a pseudonym names now; with ``merged``, the entry itself even if merged."""
    found = (entry if merged else find_party)(session, incident, pseudonym)
    if found is None:
        raise PartyNotChanged(f"{incident.code} has no party {_shown(pseudonym)}")
    return found


def _shown(pseudonym: str) -> str:
    """A pseudonym as a refusal may repeat it: only if it is one."""
    text = pseudonym.strip().upper()
    return text if text[:1] == "P" and text[1:].isdigit() and len(text) <= 5 else "of that name"


def record_party(
    session: Session,
    incident: Incident,
    *,
    role_: str,
    name: str | None,
    contact: str | None = None,
    description: str | None = None,
    actor: str,
    via: str | None = None,
) -> Party:
    """Record someone involved under the next pseudonym; audited (pseudonym and role only)."""
    try:
        found = role(role_)
        values = {"name": _clean(name), "contact": _clean(contact)}
        values["description"] = _clean(description)
        check_lengths(values)
    except PartyRefused as exc:
        raise PartyNotChanged(str(exc)) from exc
    for attempt in range(TRIES):
        party = Party(incident_id=incident.id, role=found.value, **values)
        party.pseudonym = next_pseudonym([p.pseudonym for p in all_parties(session, incident)])
        try:
            with session.begin_nested():
                session.add(party)
                session.flush()
            break
        except IntegrityError:
            if attempt == TRIES - 1:
                raise
    audit.record(
        session,
        actor=actor,
        action="party.add",
        incident_code=incident.code,
        pseudonym=party.pseudonym,
        role=party.role,
        via=via,
    )
    return party


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


def change_party(
    session: Session,
    incident: Incident,
    party: Party,
    changes: Mapping[str, str | None],
    *,
    actor: str,
    via: str | None = None,
) -> list[str]:
    """Apply checked changes; return the fields that changed (audited by field name)."""
    changed = [field for field, value in changes.items() if getattr(party, field) != value]
    for field in changed:
        setattr(party, field, changes[field])
    if changed:
        audit.record(
            session,
            actor=actor,
            action="party.edit",
            incident_code=incident.code,
            pseudonym=party.pseudonym,
            fields=sorted(changed),
            role=party.role,
            via=via,
        )
    return sorted(changed)


def merge(
    session: Session,
    incident: Incident,
    merged: Party,
    into: Party,
    *,
    actor: str,
    via: str | None = None,
) -> None:
    """Merge two entries for one person: ``merged`` now stands for ``into``; audited."""
    refusal = merge_refusal(_view(session, merged), _view(session, into))
    if refusal is not None:
        raise PartyNotChanged(refusal)
    filled = merged_values(_values(into), _values(merged))
    for field, value in filled.items():
        setattr(into, field, value)
    now = utcnow()
    merged.merged_into_id, merged.merged_at = into.id, now
    for earlier in session.scalars(select(Party).where(Party.merged_into_id == merged.id)):
        earlier.merged_into_id = into.id  # who was merged into it now names the kept one
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="party.merge",
        incident_code=incident.code,
        merged=merged.pseudonym,
        into=into.pseudonym,
        via=via,
    )


def _view(session: Session, party: Party) -> PartyView:
    into = session.get(Party, party.merged_into_id) if party.merged_into_id else None
    return PartyView(party.pseudonym, into.pseudonym if into else None)


def _values(party: Party) -> dict[str, str | None]:
    return {"name": party.name, "contact": party.contact, "description": party.description}
