"""The audit trail: append-only, each entry holding the hash of the one before.

An entry records who did what to which incident; its ``detail`` holds ids, codes, catalogue
keys and counts, never personal data. ``verify`` walks the chain and names the first entry
that was edited, deleted, inserted or moved.

Designed for erasure: the chain hashes salted digests of ``actor`` and ``detail``, not the
clear values. :func:`pseudonymise` replaces the clear values by pseudonyms and drops the
salt (so the digest can no longer be tested against a guessed handle), keeps the digests,
and chains an erasure record naming the entries it touched. ``verify`` accepts a
pseudonymised entry only if a later erasure record names it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models.db import utcnow
from models.tables import AuditEntry

GENESIS = "0" * 64
Scalar = str | int | float | bool | None


def digest(salt: str, value: str) -> str:
    return hashlib.sha256(f"{salt}\x00{value}".encode()).hexdigest()


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    incident_code: str | None,
    detail: str,
    prev_hash: str,
    salt: str | None = None,
    actor_digest: str | None = None,
    detail_digest: str | None = None,
) -> str:
    """The entry's hash: over salted digests (with ``salt`` or given digests), else clear."""
    if salt is not None:
        actor_digest, detail_digest = digest(salt, actor), digest(salt, detail)
    stamp = at.isoformat(timespec="microseconds")
    if actor_digest is None or detail_digest is None:  # an entry from before erasure support
        parts: list[object] = [seq, stamp, actor, action, incident_code, detail, prev_hash]
    else:
        parts = ["v2", seq, stamp, actor_digest, action, incident_code, detail_digest, prev_hash]
    canonical = json.dumps(parts, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _recompute(entry: AuditEntry) -> str:
    return entry_hash(
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        incident_code=entry.incident_code,
        detail=entry.detail,
        prev_hash=entry.prev_hash,
        salt=entry.salt,
        actor_digest=entry.actor_digest,
        detail_digest=entry.detail_digest,
    )


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
    detail_json, salt = _canonical_detail(detail), secrets.token_hex(16)
    entry = AuditEntry(
        seq=seq,
        at=utcnow(),
        actor=actor,
        action=action,
        incident_code=incident_code,
        detail=detail_json,
        prev_hash=prev,
        salt=salt,
        actor_digest=digest(salt, actor),
        detail_digest=digest(salt, detail_json),
    )
    entry.hash = _recompute(entry)
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
    unexplained: set[int] = set()  # pseudonymised, and no erasure record named them yet
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    for entry in rows:
        count += 1
        if entry.salt is None and entry.actor_digest is not None:
            unexplained.add(entry.seq)
        if entry.action == ERASURE_ACTION:
            unexplained -= _seqs(json.loads(entry.detail).get("ranges", []))
        if _recompute(entry) != entry.hash:
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
    if unexplained:
        first = min(unexplained)
        problem = f"entry {first} lost its clear values without an erasure record"
        return Verdict(False, count, problem, first, prev)
    return Verdict(True, count, None, None, prev)


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


ERASURE_ACTION = "audit.pseudonymise"


def _seqs(ranges: Iterable[str]) -> set[int]:
    found: set[int] = set()
    for item in ranges:
        a, b = (int(x) for x in str(item).split("-"))
        found.update(range(a, b + 1))
    return found
