"""The incident record: SQLAlchemy 2 typed tables.

Every column that can hold a name, a contact, a narrative, a note or other free text is an
``Encrypted*`` column. Plain columns hold codes, statuses, catalogue keys, counts and times.
One module per part of the record; every table is importable from here.
"""

from __future__ import annotations

from models.tables.audit import AuditEntry
from models.tables.base import NAMING, Base
from models.tables.decisions import Approval, Decision, ReviewOutcome
from models.tables.drafts import Draft
from models.tables.incidents import (
    Attachment,
    ConflictDeclaration,
    Incident,
    Note,
    Party,
    Report,
    UnilateralAction,
)
from models.tables.leases import Lease
from models.tables.messages import Conversation, InboundMessage, Message, Page
from models.tables.people import ConsoleSession, Event, Member, OnCallShift

__all__ = [
    "NAMING",
    "Approval",
    "Attachment",
    "AuditEntry",
    "Base",
    "ConflictDeclaration",
    "ConsoleSession",
    "Conversation",
    "Decision",
    "Draft",
    "Event",
    "InboundMessage",
    "Incident",
    "Lease",
    "Member",
    "Message",
    "Note",
    "OnCallShift",
    "Page",
    "Party",
    "Report",
    "ReviewOutcome",
    "UnilateralAction",
]
