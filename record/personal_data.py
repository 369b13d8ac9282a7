"""Every piece of personal data in the record, as the leak guard's needles and free texts."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from models.tables import (
    Decision,
    Incident,
    Member,
    Note,
    Party,
    Report,
    ReviewOutcome,
    UnilateralAction,
)
from policy.leaks import DataKind, Guard, Needle, needles_for
from policy.report_labels import catalogue_labels
from record.outcomes import template_text

_CAPITALISED = re.compile(r"\b[A-ZÀ-Þ][\w'’-]{2,}")


def contact_kind(contact: str) -> DataKind:
    """Whether a contact looks like an e-mail address, a phone number or a handle."""
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", contact.strip()):
        return DataKind.email
    if len(re.sub(r"\D", "", contact)) >= 7 and not re.search(r"[A-Za-z]", contact):
        return DataKind.phone
    return DataKind.handle


def _contact(value: str | None) -> list[Needle]:
    if not value:
        return []
    kind = contact_kind(value)
    return needles_for(kind, value, parts=kind is DataKind.handle)


def _named_in(text: str | None) -> list[Needle]:
    """Names in a short "who was involved" text: the whole text if short, else capitals."""
    if not text:
        return []
    if len(text.split()) <= 4:
        return needles_for(DataKind.name, text, parts=True)
    return [n for word in _CAPITALISED.findall(text) for n in needles_for(DataKind.name, word)]


def _place(text: str | None) -> list[Needle]:
    return needles_for(DataKind.place, text) if text and len(text.split()) <= 6 else []


def _report_needles(session: Session) -> Iterator[Needle]:
    rows = session.execute(
        select(
            Report.reporter_name,
            Report.reporter_contact,
            Report.involved_text,
            Report.witnesses_text,
            Report.where_text,
        )
    )
    for name, contact, involved, witnesses, where in rows:
        yield from needles_for(DataKind.name, name, parts=True)
        yield from _contact(contact)
        yield from _named_in(involved)
        yield from _named_in(witnesses)
        yield from _place(where)
    for location in session.scalars(select(Incident.location)):
        yield from _place(location)


def _party_needles(session: Session) -> Iterator[Needle]:
    rows = session.execute(
        select(Party.name, Party.contact, Party.organisation, Party.talk_title, Party.description)
    )
    for name, contact, organisation, talk_title, description in rows:
        yield from needles_for(DataKind.name, name, parts=True)
        yield from _contact(contact)
        yield from _named_in(description)  # "Sam's manager, Jo Bloggs": the names in it
        yield from needles_for(DataKind.organisation, organisation)
        yield from needles_for(DataKind.talk_title, talk_title)


def _member_needles(session: Session) -> Iterator[Needle]:
    for name, phone, email in session.execute(
        select(Member.display_name, Member.phone, Member.email)
    ):
        yield from needles_for(DataKind.name, name)
        yield from needles_for(DataKind.phone, phone)
        yield from needles_for(DataKind.email, email)


def free_texts(session: Session) -> Iterator[str]:
    """Narratives, notes, findings and messages, which a report must never quote."""
    queries: list[Select[tuple[str | None]]] = [
        select(Report.narrative),
        select(Report.where_text),
        select(Report.when_text),
        select(Note.body),
        select(Party.description),
        select(ReviewOutcome.what_happened),
        select(ReviewOutcome.information_to_gather),
        select(ReviewOutcome.findings),
        select(ReviewOutcome.other_resolution),
        select(ReviewOutcome.reporter_explanation),
        select(UnilateralAction.action),
        select(Decision.body),
    ]
    for query in queries:
        yield from (text for text in session.scalars(query) if text)


def own_texts() -> list[str]:
    """What CARE itself writes into the record: catalogue labels and message templates."""
    return [*catalogue_labels(), *template_text()]


def record_guard(session: Session) -> Guard:
    """A leak guard loaded with all the personal data the record holds."""
    needles = [
        *_report_needles(session),
        *_party_needles(session),
        *_member_needles(session),
    ]
    return Guard(needles, free_texts(session), own_texts())
