"""Conference editions."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import Event
from models.validation import InvalidInput, slug, timezone
from policy.codes import valid_code_prefix
from record import audit


class UnknownEvent(InvalidInput):
    pass


def add_event(
    session: Session,
    *,
    slug_: str,
    name: str,
    code_prefix: str,
    starts_on: date,
    ends_on: date,
    timezone_: str,
    series: str | None = None,
    attendees: int | None = None,
    actor: str = "operator",
) -> Event:
    value = slug(slug_)
    prefix = code_prefix.strip().upper()
    if not valid_code_prefix(prefix):
        raise InvalidInput(f"not a valid case code prefix: {code_prefix!r} (e.g. DCE26)")
    if ends_on < starts_on:
        raise InvalidInput("the event cannot end before it starts")
    if attendees is not None and attendees < 0:
        raise InvalidInput("attendees cannot be negative")
    if session.scalar(select(Event.id).where(Event.slug == value)):
        raise InvalidInput(f"an event with slug {value!r} already exists")
    if session.scalar(select(Event.id).where(Event.code_prefix == prefix)):
        raise InvalidInput(f"the code prefix {prefix!r} is taken")
    event = Event(
        slug=value,
        name=name.strip() or value,
        code_prefix=prefix,
        series=(series or value.rstrip("0123456789-")).strip() or value,
        starts_on=starts_on,
        ends_on=ends_on,
        timezone=timezone(timezone_),
        attendees=attendees,
    )
    session.add(event)
    session.flush()
    audit.record(session, actor=actor, action="event.add", event=value)
    return event


def get_event(session: Session, slug_: str) -> Event:
    event = session.scalar(select(Event).where(Event.slug == slug_.strip().lower()))
    if event is None:
        raise UnknownEvent(f"no event with slug {slug_!r}")
    return event


def list_events(session: Session) -> list[Event]:
    return list(session.scalars(select(Event).order_by(Event.starts_on)))


def current_event(session: Session, today: date) -> Event:
    """The edition a report made today belongs to: the one nearest in time."""
    events = list_events(session)
    if not events:
        raise UnknownEvent("no event is set up yet (care event add ...)")

    def distance(event: Event) -> int:
        if event.starts_on <= today <= event.ends_on:
            return 0
        return min(abs((event.starts_on - today).days), abs((today - event.ends_on).days))

    return min(events, key=lambda e: (distance(e), -e.starts_on.toordinal()))
