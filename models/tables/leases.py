"""Leases: which CARE process holds a job that exactly one process may do at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.tables.base import Base


class Lease(Base):
    """One named job (e.g. keeping the escalation timetable), held until `expires_at`.

    The holder renews it well before it expires; when the holder dies, another process
    takes it over once it has expired.
    """

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
