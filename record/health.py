"""What the record says about CARE's own health: hosts alive, the timetable kept, deadlines
met, messages going out, the schema up to date. Counts and times only, never a case.

A host says it is alive by renewing a lease of its own (``host:<holder>``) at each sweep;
the time-keeper holds the timetable's lease while it keeps time (``record.timetable``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models.migrate import levels
from models.tables import Lease, Message
from record.leases import hold_lease, release_lease
from record.timetable import TIMETABLE_LEASE, due_rounds, stalled_pages

HOST_PREFIX = "host:"
HOST_ALIVE_FOR = timedelta(seconds=30)  # a host renews every sweep (5 s): 6 sweeps missed
HOSTS_FORGOTTEN_AFTER = timedelta(days=1)  # a host that stopped without saying so
OVERDUE_AFTER = timedelta(seconds=5)  # a round not paged this long after its deadline
BACKLOG_AFTER = timedelta(seconds=60)  # a message still waiting to be sent after this


@dataclass(frozen=True)
class RecordHealth:
    schema: str | None  # the database's migration level
    schema_head: str  # the newest this code knows
    hosts: list[tuple[str, datetime]]  # (holder, last loop) of each live host
    timekeeper: str | None  # who holds the timetable's lease now
    overdue_rounds: int  # rounds due more than OVERDUE_AFTER ago and not paged
    stalled_pages: int  # pages recorded and never sent (their sender died)
    backlog: int  # messages waiting to be sent for more than BACKLOG_AFTER
    oldest_waiting: datetime | None


def host_alive(session: Session, *, holder: str, now: datetime) -> None:
    """A host's sweep: renew its own lease (and forget hosts long gone)."""
    hold_lease(session, name=_host_lease(holder), holder=holder, ttl=HOST_ALIVE_FOR, now=now)
    session.execute(
        delete(Lease).where(
            Lease.name.startswith(HOST_PREFIX), Lease.expires_at < now - HOSTS_FORGOTTEN_AFTER
        )
    )


def host_stopped(session: Session, *, holder: str) -> None:
    release_lease(session, name=_host_lease(holder), holder=holder)


def record_health(session: Session, *, now: datetime) -> RecordHealth:
    schema, head = levels(session.connection())
    leases = session.scalars(select(Lease).where(Lease.expires_at > now)).all()
    hosts = [
        (lease.holder, lease.expires_at - HOST_ALIVE_FOR)
        for lease in leases
        if lease.name.startswith(HOST_PREFIX)
    ]
    keeper = next((lease.holder for lease in leases if lease.name == TIMETABLE_LEASE), None)
    overdue = due_rounds(session, now=now - OVERDUE_AFTER)
    stalled = stalled_pages(session, now=now, grace=OVERDUE_AFTER)
    waiting = select(func.count(), func.min(Message.created_at)).where(
        Message.status == "pending", Message.created_at < now - BACKLOG_AFTER
    )
    backlog, oldest = session.execute(waiting).one()
    return RecordHealth(
        schema=schema,
        schema_head=head,
        hosts=sorted(hosts, key=lambda host: host[1], reverse=True),
        timekeeper=keeper,
        overdue_rounds=len(overdue),
        stalled_pages=len(stalled),
        backlog=int(backlog or 0),
        oldest_waiting=oldest,
    )


def _host_lease(holder: str) -> str:
    return (HOST_PREFIX + holder)[:64]
