"""The audit trail: who did what to the record, when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.tables.base import Base


class AuditEntry(Base):
    """The append-only, hash-chained audit trail: who did what to which incident."""

    __tablename__ = "audit_entries"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    incident_code: Mapped[str | None] = mapped_column(String(24), index=True)
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON, never personal data
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the chain hashes salted digests of actor and detail; erasure replaces the clear values
    # by pseudonyms and drops the salt (record.audit.pseudonymise)
    salt: Mapped[str | None] = mapped_column(String(32))
    actor_digest: Mapped[str | None] = mapped_column(String(64))
    detail_digest: Mapped[str | None] = mapped_column(String(64))
