"""Seeded people and an event, with personal data a test can search for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from models.schemas import ReportIn
from record import members
from record.events import add_event
from record.incidents import add_party, store_report

# Distinctive strings: any of them found on disk in the clear is a leak.
SECRETS = {
    "reporter_name": "Zephyrine Quillfeather",
    "reporter_email": "zephyrine.quill@example.net",
    "narrative": "Orbelian Vantwick cornered me by the espresso machine",
    "reported_name": "Orbelian Vantwick",
    "location": "Marquetry Hall balcony",
    "member_name": "Ottoline Brackenbury",
    "member_phone": "+353851234567",
    "member_email": "ottoline.b@example.org",
    "note": "Talked with Vantwick near the cloakroom",
}
TEAM = ("ana", "ben", "chloe", "dev", "eve")


@dataclass
class Seeded:
    event_slug: str = "dce26"
    secrets: dict[str, str] = field(default_factory=lambda: dict(SECRETS))
    totp: dict[str, str] = field(default_factory=dict)


def seed_team(session: Session, *, team: tuple[str, ...] = TEAM) -> Seeded:
    seeded = Seeded()
    add_event(
        session,
        slug_="dce26",
        name="DjangoCon Europe 2026",
        code_prefix="DCE26",
        starts_on=date(2026, 4, 20),
        ends_on=date(2026, 4, 24),
        timezone_="Europe/Dublin",
        series="djangocon-europe",
        attendees=400,
    )
    for i, handle in enumerate(team):
        members.add_member(
            session,
            handle_=handle,
            display_name=SECRETS["member_name"] if i == 0 else f"Member {handle.title()}",
            phone=SECRETS["member_phone"] if i == 0 else f"+3538512340{i:02d}",
            email=SECRETS["member_email"] if i == 0 else f"{handle}@example.org",
            slack_user_id=f"U{handle.upper()}",
        )
        seeded.totp[handle], _uri = members.enroll(session, handle)
    return seeded


def seed_report(session: Session, *, message_id: str = "web-1", urgent: bool = False) -> str:
    incident, _report, _created = store_report(
        session,
        ReportIn(
            channel="web",
            channel_message_id=message_id,
            narrative=SECRETS["narrative"],
            where_text=SECRETS["location"],
            involved_text=SECRETS["reported_name"],
            reporter_name=SECRETS["reporter_name"],
            reporter_contact=SECRETS["reporter_email"],
            contact_kind="email",
            urgent=urgent,
            event_slug="dce26",
        ),
    )
    add_party(session, incident, role="reported", name=SECRETS["reported_name"], actor="ana")
    return incident.code
