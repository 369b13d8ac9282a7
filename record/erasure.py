"""One person's right to erasure, across all incidents: a decision, then the erasure.

Proposing finds the person's reports and parties by e-mail, phone or name (whatever the
case, accents or separators) and opens a ``DecisionKind.erasure`` decision; the identifiers
live only in its encrypted payload. Once two members have signed off, :func:`execute`
matches again (new reports included), erases, and replaces the payload by the counts, so
the identifiers are gone too. Executing twice changes nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import (
    Decision,
    Incident,
    Message,
    Note,
    Party,
    Report,
    ReviewOutcome,
    UnilateralAction,
)
from models.validation import InvalidInput, email_address, phone_e164
from policy.leaks import fold
from policy.signoff import DecisionKind
from record import audit
from record.decisions import get_decision, propose
from record.purge import ERASED, erase_party, erase_report

PHONE_TAIL = 9


@dataclass(frozen=True)
class Person:
    email: str | None = None
    phone: str | None = None
    name: str | None = None

    @classmethod
    def checked(cls, *, email: str | None, phone: str | None, name: str | None) -> Person:
        if not (email or phone or (name and name.strip())):
            raise InvalidInput("name the person by --email, --phone or --name")
        return cls(
            email=email_address(email) if email else None,
            phone=phone_e164(phone) if phone else None,
            name=name.strip() if name and name.strip() else None,
        )

    def matches(self, *, name: str | None, contact: str | None) -> bool:
        if self.name and name and _same_name(self.name, name):
            return True
        if not contact:
            return False
        if self.email and fold(contact.strip()) == fold(self.email):
            return True
        digits = re.sub(r"\D", "", contact)
        mine = re.sub(r"\D", "", self.phone or "")
        return bool(mine) and len(digits) >= 7 and digits[-PHONE_TAIL:] == mine[-PHONE_TAIL:]


def _same_name(a: str, b: str) -> bool:
    return re.sub(r"[\W_]+", "", fold(a)) == re.sub(r"[\W_]+", "", fold(b))


@dataclass(frozen=True)
class Found:
    reports: list[Report]
    parties: list[Party]

    @property
    def incident_ids(self) -> set[int]:
        return {r.incident_id for r in self.reports} | {p.incident_id for p in self.parties}


def find(session: Session, person: Person) -> Found:
    """Every report the person made and every party record that is them."""
    reports = [
        r
        for r in session.scalars(select(Report).order_by(Report.id))
        if person.matches(name=r.reporter_name, contact=r.reporter_contact)
    ]
    parties = [
        p
        for p in session.scalars(select(Party).order_by(Party.id))
        if person.matches(name=p.name, contact=p.contact)
    ]
    return Found(reports, parties)


def propose_erasure(session: Session, person: Person, *, proposer: str) -> Decision:
    found = find(session, person)
    if not found.reports and not found.parties:
        raise InvalidInput("nobody in the record matches; nothing to erase")
    return propose(
        session,
        kind=DecisionKind.erasure,
        summary=(
            f"erase one person's data: {len(found.reports)} reports, {len(found.parties)} "
            f"party records, {len(found.incident_ids)} incidents"
        ),
        proposer=proposer,
        payload={"email": person.email, "phone": person.phone, "name": person.name},
    )


FREE_TEXT: list[tuple[type[Any], tuple[str, ...]]] = [
    (Report, ("narrative", "involved_text", "witnesses_text", "where_text", "when_text")),
    (Note, ("body",)),
    (ReviewOutcome, ("what_happened", "information_to_gather", "other_resolution")),
    (UnilateralAction, ("action",)),
    (Decision, ("body",)),
    (Message, ("body", "subject")),
]


def _redact_name(session: Session, incident_ids: set[int], name: str) -> int:
    """Replace the person's name (whole, or a part of 3+ letters) in the incidents' texts."""
    parts = sorted({name, *(w for w in name.split() if len(w) >= 3)}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(p) for p in parts), re.IGNORECASE)
    changed = 0
    for model, fields in FREE_TEXT:
        for row in session.scalars(select(model).where(model.incident_id.in_(incident_ids))):
            for field in fields:
                before = getattr(row, field)
                after = pattern.sub(ERASED, before) if before else before
                if after != before:
                    setattr(row, field, after)
                    changed += 1
    return changed


def execute(session: Session, decision_id: int, *, actor: str = "care") -> Counter[str] | None:
    """Erase once the decision is approved; None while it is not (or already done)."""
    decision = get_decision(session, decision_id)
    payload = decision.payload or {}
    if decision.kind != DecisionKind.erasure.value:
        raise InvalidInput(f"decision {decision_id} is not an erasure")
    if decision.status != "approved" or payload.get("executed"):
        return None
    person = Person(
        email=payload.get("email"), phone=payload.get("phone"), name=payload.get("name")
    )
    found = find(session, person)
    counts: Counter[str] = Counter()
    names = {p.name for p in found.parties if p.name} | {
        r.reporter_name for r in found.reports if r.reporter_name
    }
    for report in found.reports:
        erase_report(report, counts)
    for party in found.parties:
        erase_party(party, counts)
    for name in names | ({person.name} if person.name else set()):
        counts["texts_redacted"] += _redact_name(session, found.incident_ids, name)
    codes = sorted(
        session.scalars(select(Incident.code).where(Incident.id.in_(found.incident_ids)))
    )
    decision.payload = {"executed": True, **counts}
    detail: dict[str, Any] = {"decision": decision_id, "incidents": codes, **counts}
    audit.record(session, actor=actor, action="person.erase", **detail)
    return counts
