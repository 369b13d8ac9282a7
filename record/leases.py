"""Leases in the record: exactly one CARE process at a time does a job such as keeping time.

A lease is one row per job. Taking or renewing it is one UPDATE that matches only if this
process holds it or it has expired, else one INSERT that the primary key lets only one
process win: atomic on SQLite and PostgreSQL alike, without a lock held between calls.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.tables import Lease


def hold_lease(session: Session, *, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
    """Take or renew the lease `name` for `holder` until `now + ttl`; False if another holds it."""
    renewed = session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    if getattr(renewed, "rowcount", 0):
        return True
    try:
        with session.begin_nested():
            session.add(Lease(name=name, holder=holder, expires_at=now + ttl))
            session.flush()
    except IntegrityError:  # another process holds it, or took it a moment ago
        return False
    return True


def release_lease(session: Session, *, name: str, holder: str) -> None:
    """Give the lease up at once (a clean stop), if this holder has it."""
    session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


def lease_held(session: Session, *, name: str, now: datetime) -> bool:
    """Whether some process holds the lease `name` (and has renewed it in time)."""
    found = session.scalar(select(Lease.name).where(Lease.name == name, Lease.expires_at > now))
    return found is not None
