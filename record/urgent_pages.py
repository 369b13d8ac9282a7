"""Pages of on-call members for urgent incidents (acknowledging: ``record.acts.acknowledge``).

A page is one message to one member in one round of the escalation, on one channel. Its
idempotency key (``page-DCE26-7-r0-ana-sms``) makes a re-run escalation page nobody twice.
Every page and delivery status is also written to the audit trail.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.db import utcnow
from models.tables import Incident, Member, Page
from models.validation import InvalidInput, phone_e164
from record import audit

# no SMS reached the member: fall back to their other channels
FAILED = frozenset({"failed", "undelivered", "unconfirmed", "no_address"})
# ... and certainly not: the next step need not wait ("unconfirmed" may have arrived)
UNDELIVERED = FAILED - {"unconfirmed"}
FINAL = FAILED | {"delivered", "cancelled"}


def page_key(code: str, round_index: int, handle: str, channel: str) -> str:
    return f"page-{code}-r{round_index}-{handle}-{channel}"


def recorded(session: Session, keys: list[str]) -> int:
    """How many of these pages (by idempotency key) are recorded."""
    found = session.scalar(
        select(func.count()).select_from(Page).where(Page.idempotency_key.in_(keys))
    )
    return int(found or 0)


def add_page(
    session: Session, incident: Incident, member: Member, *, round_index: int, channel: str
) -> tuple[Page, bool]:
    """Record a page (or return the one already recorded under its key); (page, created)."""
    key = page_key(incident.code, round_index, member.handle, channel)
    found = session.scalar(select(Page).where(Page.idempotency_key == key))
    if found is not None:
        return found, False
    page = Page(
        incident_id=incident.id,
        member_id=member.id,
        round_index=round_index,
        channel=channel,
        idempotency_key=key,
    )
    try:
        with session.begin_nested():
            session.add(page)
            session.flush()
    except IntegrityError:
        again = session.scalar(select(Page).where(Page.idempotency_key == key))
        if again is None:
            raise
        return again, False
    audit.record(
        session,
        actor="care",
        action="page.add",
        incident_code=incident.code,
        page=page.id,
        member=member.handle,
        round=round_index,
        channel=channel,
    )
    return page, True


def mark_page(
    session: Session,
    page: Page,
    status: str,
    *,
    provider_id: str | None = None,
    error: str | None = None,
) -> None:
    """Record a page's delivery status (and in the audit trail)."""
    page.status = status
    page.provider_id = provider_id or page.provider_id
    page.error = (error or "")[:200] or page.error
    page.updated_at = utcnow()
    incident = session.get(Incident, page.incident_id)
    audit.record(
        session,
        actor="care",
        action="page.status",
        incident_code=incident.code if incident else None,
        page=page.id,
        channel=page.channel,
        status=status,
        error=page.error if status in FAILED else None,
    )


def rounds_recorded(session: Session, incident: Incident) -> int:
    """How many rounds of pages the record holds (a re-run carries on after them)."""
    last = session.scalar(select(func.max(Page.round_index)).where(Page.incident_id == incident.id))
    return 0 if last is None else last + 1


def round_pages(session: Session, incident: Incident, round_index: int) -> list[Page]:
    query = select(Page).where(Page.incident_id == incident.id, Page.round_index == round_index)
    return list(session.scalars(query.order_by(Page.id)))


def member_by_phone(session: Session, raw: str) -> Member | None:
    """The member whose (encrypted) phone number is this one, if any."""
    try:
        number = phone_e164(raw)
    except InvalidInput:
        return None
    for member in session.scalars(select(Member).where(Member.phone.is_not(None))):
        if member.phone == number:
            return member
    return None


def open_page_codes(session: Session, member: Member) -> list[str]:
    """Codes of the urgent incidents that paged this member and nobody acknowledged yet."""
    query = (
        select(Incident.code)
        .join(Page, Page.incident_id == Incident.id)
        .where(Page.member_id == member.id, Incident.urgent_acknowledged_at.is_(None))
        .distinct()
    )
    return sorted(session.scalars(query))


PROVIDER_STATUSES = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
}


def record_provider_status(
    session: Session, provider_id: str, provider_status: str, error_code: str | None
) -> tuple[Page | None, bool]:
    """Apply a provider's status callback to its page; (page, newly failed).

    Statuses only move forward: a late "sent" never undoes "delivered" or "failed".
    """
    page = session.scalar(select(Page).where(Page.provider_id == provider_id))
    status = PROVIDER_STATUSES.get(provider_status)
    if page is None or status is None or page.status in FINAL or page.status == status:
        return page, False
    error = f"provider {provider_status} code {error_code}" if error_code else None
    mark_page(session, page, status, error=error)
    return page, status in FAILED


def open_escalations(session: Session) -> list[str]:
    """Codes of urgent incidents nobody acknowledged yet: after a restart of the host, start
    ``escalate-incident`` again for each (it carries on where it was)."""
    query = select(Incident.code).where(
        Incident.urgent.is_(True),
        Incident.urgent_acknowledged_at.is_(None),
        Incident.status != "closed",
    )
    return list(session.scalars(query.order_by(Incident.id)))
