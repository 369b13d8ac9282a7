"""Erase personal data from the record: an edition after retention, or one person's data.

What goes: names, contacts, narratives, notes, comments, attachments and every other free
text. What stays: codes, categories, statuses, milestones, catalogue keys, counts and the
team's anonymised summaries, so the transparency figures can still be drawn. The audit
trail is pseudonymised (record.audit_erasure) and still verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models.db import utcnow
from models.tables import (
    Approval,
    AuditEntry,
    ConflictDeclaration,
    Decision,
    Draft,
    Event,
    Incident,
    Member,
    Message,
    Note,
    Page,
    Party,
    Report,
    ReviewOutcome,
    UnilateralAction,
)
from record import audit
from record.audit_erasure import pseudonymise

ERASED = "[erased]"
PURGED_TABLES = (
    "incidents",
    "reports",
    "attachments",
    "parties",
    "conflicts",
    "decisions",
    "approvals",
    "review_outcomes",
    "drafts",
    "notes",
    "unilateral_actions",
    "messages",
    "pages",
    "audit_entries",
)


def erase_report(report: Report, counts: Counter[str]) -> None:
    """Blank every personal field of one report and its attachments."""
    report.reporter_name = report.reporter_contact = None
    report.when_text = report.where_text = report.involved_text = None
    report.witnesses_text = report.thread_ref = None
    report.narrative = ERASED
    counts["reports"] += 1
    for attachment in report.attachments:
        attachment.filename, attachment.content = None, None
        counts["attachments"] += 1


def erase_party(party: Party, counts: Counter[str]) -> None:
    party.name = party.contact = party.description = None
    party.organisation = party.talk_title = None
    counts["parties"] += 1


def _erase_around(session: Session, incident: Incident, counts: Counter[str]) -> None:
    """Notes, outcomes, decisions, messages and actions of one incident."""
    iid = incident.id
    for note in session.scalars(select(Note).where(Note.incident_id == iid)):
        note.body = ERASED
        counts["notes"] += 1
    for outcome in session.scalars(select(ReviewOutcome).where(ReviewOutcome.incident_id == iid)):
        outcome.what_happened = outcome.information_to_gather = outcome.other_resolution = None
        outcome.facts = None
    for decision in session.scalars(select(Decision).where(Decision.incident_id == iid)):
        decision.body = decision.payload = decision.objection = None
        for approval in session.scalars(
            select(Approval).where(Approval.decision_id == decision.id)
        ):
            approval.comment = None
    for message in session.scalars(select(Message).where(Message.incident_id == iid)):
        message.recipient, message.body, message.subject, message.meta = ERASED, ERASED, None, None
        counts["messages"] += 1
    for action in session.scalars(
        select(UnilateralAction).where(UnilateralAction.incident_id == iid)
    ):
        action.action = ERASED
    for conflict in session.scalars(
        select(ConflictDeclaration).where(ConflictDeclaration.incident_id == iid)
    ):
        conflict.reason = None
    for page in session.scalars(select(Page).where(Page.incident_id == iid)):
        page.error = None
    for draft in session.scalars(select(Draft).where(Draft.incident_id == iid)):
        draft.answer = None


def purge_incident(
    session: Session, incident: Incident, *, now: datetime | None = None
) -> Counter[str]:
    """Erase one incident's personal data; keep its statistics and summary."""
    counts: Counter[str] = Counter()
    for report in incident.reports:
        erase_report(report, counts)
    for party in incident.parties:
        erase_party(party, counts)
    _erase_around(session, incident, counts)
    incident.location = None
    incident.purged_at = incident.purged_at or now or utcnow()
    counts["incidents"] += 1
    return counts


def _pseudonyms(session: Session) -> dict[str, str]:
    """Member handles -> pseudonyms, keyed by a secret used once and forgotten."""
    key = secrets.token_bytes(32)
    handles = session.scalars(select(Member.handle))
    return {
        h: "member-" + hmac.new(key, h.encode(), hashlib.sha256).hexdigest()[:8] for h in handles
    }


def purge_event(session: Session, event: Event, *, actor: str = "care") -> Counter[str]:
    """Erase an edition's closed incidents' personal data; pseudonymise their audit entries.

    A case the team is still working on is never erased: it is kept (and counted as
    ``kept_open``) until it is closed, and the next purge takes it.
    """
    counts: Counter[str] = Counter()
    query = select(Incident).where(Incident.event_id == event.id, Incident.closed_at.is_not(None))
    incidents = list(session.scalars(query))
    counts["kept_open"] = len(
        session.scalars(
            select(Incident.id).where(Incident.event_id == event.id, Incident.closed_at.is_(None))
        ).all()
    )
    for incident in incidents:
        if incident.purged_at is None:
            counts += purge_incident(session, incident)
    session.flush()
    names = _pseudonyms(session)
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.incident_code.in_([i.code for i in incidents]))
        .order_by(AuditEntry.seq)
    )
    counts["audit_entries"] = pseudonymise(
        session, entries, lambda v: names.get(v, v), actor=actor, reason="retention"
    )
    detail: dict[str, Any] = {"event": event.slug, **counts}
    audit.record(session, actor=actor, action="retention.purge", **detail)
    return counts


def compact(engine: Engine) -> None:
    """Rewrite the database files so erased values do not linger in free pages or the WAL."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # autocommit: VACUUM cannot run in a transaction
        try:
            cursor = raw.cursor()
            for statement in (
                "PRAGMA wal_checkpoint(TRUNCATE)",
                "VACUUM",
                "PRAGMA wal_checkpoint(TRUNCATE)",
            ):
                cursor.execute(statement)
            cursor.close()
        finally:
            raw.close()
        return
    tables = ", ".join(PURGED_TABLES)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM FULL {tables}")
