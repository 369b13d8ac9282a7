"""An urgent incident with a short escalation policy, on-call shifts and a running flow."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import select

from models import db
from models.db import utcnow
from models.tables import AuditEntry, Member, Page
from record import members
from record.events import get_event
from record.incidents import get_incident
from tests.support.seed import SECRETS, TEAM, seed_report, seed_team

T = TypeVar("T")

PHONES = {  # as tests.support.seed numbers them
    h: SECRETS["member_phone"] if i == 0 else f"+3538512340{i:02d}" for i, h in enumerate(TEAM)
}
HANDLES = {phone: handle for handle, phone in PHONES.items()}


@dataclass
class Urgent:
    code: str
    urgent_at: float  # epoch seconds
    totp: dict[str, str] = field(default_factory=dict)


def urgent_incident(
    steps: list[dict[str, Any]],
    *,
    oncall: tuple[tuple[str, str], ...] = (("ana", "primary"), ("ben", "secondary")),
    message_id: str = "web-urgent-1",
) -> Urgent:
    """Seed the team (once), set the event's policy and shifts, store an urgent report."""
    with db.session_scope() as session:
        totp = seed_team(session).totp
        event = get_event(session, "dce26")
        event.escalation_policy = {"steps": steps}
        now = utcnow()
        for handle, tier in oncall:
            members.set_oncall(
                session,
                event=event,
                handle_=handle,
                tier=tier,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=1),
            )
    with db.session_scope() as session:
        code = seed_report(session, message_id=message_id, urgent=True)
        incident = get_incident(session, code)
        assert incident.urgent_at is not None
        return Urgent(code=code, urgent_at=incident.urgent_at.timestamp(), totp=totp)


def start_flow(code: str) -> tuple[threading.Thread, dict[str, Any]]:
    """Run escalate_incident in a thread (as the CARE host does); the result lands in a dict."""
    from flows.escalation import escalate_incident

    out: dict[str, Any] = {}

    def run() -> None:
        out["result"] = escalate_incident(code)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def wait_for(check: Callable[[], T | None], timeout: float = 20.0, what: str = "condition") -> T:
    """Poll until check returns something truthy, and return it."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
    return found


def pages(code: str) -> list[tuple[int, str, str, str]]:
    """(round, handle, channel, status) of every page of the incident."""
    with db.session_scope() as session:
        incident = get_incident(session, code)
        rows = session.execute(
            select(Page.round_index, Member.handle, Page.channel, Page.status)
            .join(Member, Member.id == Page.member_id)
            .where(Page.incident_id == incident.id)
            .order_by(Page.id)
        )
        return [tuple(row) for row in rows]


def first_responder(code: str) -> str | None:
    with db.session_scope() as session:
        incident = get_incident(session, code)
        if incident.first_responder_id is None:
            return None
        member = session.get(Member, incident.first_responder_id)
        return member.handle if member else None


def audit_actions(code: str) -> list[tuple[str, str, str]]:
    """(actor, action, detail) of the incident's audit entries, in order."""
    with db.session_scope() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.incident_code == code).order_by(AuditEntry.seq)
        )
        return [(e.actor, e.action, e.detail) for e in rows]


def warm_prefect() -> None:
    """Run one tiny flow with a submitted task: the first run in a process is slow.

    The CARE host is a long-running process; timing tests measure it warm.
    """
    from prefect import flow, task

    import flows.escalation  # noqa: F401  (the host imports its flows when it starts)

    @task
    def noop() -> int:
        return 1

    @flow
    def warm_up() -> int:
        return noop.submit().result()

    warm_up()
