"""Answers that did not count, kept for the member who gave them to finish."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.crypto import EncryptedJSON
from models.db import utcnow
from models.tables.base import Base


class Draft(Base):
    """A member's refused answer to a step of an incident: what they typed, encrypted
    (never their code), and why it did not count; resolved once it counts or is moot."""

    __tablename__ = "drafts"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    step: Mapped[str] = mapped_column(String(80))  # the Prefect pause's step name
    form: Mapped[str] = mapped_column(String(16))  # review, findings, conversation, text
    target: Mapped[Any | None] = mapped_column(JSON)  # ids the step is about: no personal data
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    answer: Mapped[Any | None] = mapped_column(EncryptedJSON())
    reason: Mapped[str] = mapped_column(String(500))  # plain words, no typed text
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
