"""The audit trail: append-only, each entry holding the hash of the one before.

An entry records who did what to which incident; its ``detail`` holds ids, codes, catalogue
keys and counts, never personal data. ``verify`` walks the chain and names the first entry
that was edited, deleted, inserted or moved.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models.db import utcnow
from models.tables import AuditEntry

GENESIS = "0" * 64
Scalar = str | int | float | bool | None


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    incident_code: str | None,
    detail: str,
    prev_hash: str,
) -> str:
    canonical = json.dumps(
        [
            seq,
            at.isoformat(timespec="microseconds"),
            actor,
            action,
            incident_code,
            detail,
            prev_hash,
        ],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical_detail(detail: dict[str, Any]) -> str:
    for key, value in detail.items():
        items = value if isinstance(value, list | tuple) else [value]
        if not all(isinstance(v, Scalar) for v in items):
            raise TypeError(f"audit detail {key!r} must be ids, codes or counts")
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), default=str)


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    incident_code: str | None = None,
    **detail: Any,
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = utcnow()
    detail_json = _canonical_detail(detail)
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        incident_code=incident_code,
        detail=detail_json,
        prev_hash=prev,
        hash=entry_hash(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            incident_code=incident_code,
            detail=detail_json,
            prev_hash=prev,
        ),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    problem: str | None = None
    seq: int | None = None
    head: str = GENESIS


def verify(session: Session) -> Verdict:
    """Walk the whole chain; report the first broken entry."""
    prev, expected_seq, count = GENESIS, 1, 0
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    for entry in rows:
        count += 1
        recomputed = entry_hash(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            incident_code=entry.incident_code,
            detail=entry.detail,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.hash:
            return Verdict(False, count, f"entry {entry.seq} was edited", entry.seq, prev)
        if entry.seq != expected_seq:
            what = "deleted" if entry.seq > expected_seq else "duplicated"
            return Verdict(
                False,
                count,
                f"entry {expected_seq} is missing: {what} before entry {entry.seq}",
                expected_seq,
                prev,
            )
        if entry.prev_hash != prev:
            return Verdict(
                False,
                count,
                f"entry {entry.seq} does not follow entry {entry.seq - 1}: "
                "an entry was inserted, deleted or moved here",
                entry.seq,
                prev,
            )
        prev, expected_seq = entry.hash, expected_seq + 1
    return Verdict(True, count, None, None, prev)


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())
