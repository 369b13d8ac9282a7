"""The audit trail: append-only, each entry holding the hash of the one before.

An entry records who did what to which incident; its ``detail`` holds ids, codes, catalogue
keys and counts, never personal data. ``verify`` walks the chain and names every entry that
was edited, deleted, inserted or moved.

Designed for erasure: the chain hashes salted digests of ``actor`` and ``detail``, not the
clear values. :func:`pseudonymise` replaces the clear values by pseudonyms and drops the
salt (so the digest can no longer be tested against a guessed handle), keeps the digests,
and chains an erasure record naming the entries it touched. ``verify`` accepts a
pseudonymised entry only if a later erasure record names it.

Anchored outside the table (record.audit_anchor): each commit moves a signed checkpoint of
the head forward, so a trail cut short, or replaced by an older copy, no longer verifies.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

from models.db import utcnow
from models.tables import AuditEntry
from record.audit_anchor import (
    HEAD_KEY,
    Anchor,
    CheckpointInvalid,
    extends_checkpoint,
    read_checkpoint,
)

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


PENDING_KEY = "care_audit_pending"  # in Session.info: entries to chain at commit
SAVEPOINTS_KEY = "care_audit_savepoints"  # in Session.info: savepoint -> entries before it


def _lock_chain(session: Session) -> None:
    """Wait for the chain's lock, for the rest of the transaction (PostgreSQL; SQLite's
    transactions already begin with the write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(4242001)"))


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    incident_code: str | None = None,
    **detail: Any,
) -> AuditEntry:
    """Record one entry, to be chained when the caller's transaction commits.

    The chain takes one writer at a time, so the entries of a transaction are chained in
    one step just before it commits (``chain_now``): the transaction holds the chain's
    lock for that step only, not while it does its work. Its ``seq`` and hashes are set
    then; an entry of a savepoint rolled back is never chained."""
    detail_json, salt = _canonical_detail(detail), secrets.token_hex(16)
    entry = AuditEntry(
        at=utcnow(),
        actor=actor,
        action=action,
        incident_code=incident_code,
        detail=detail_json,
        salt=salt,
        actor_digest=digest(salt, actor),
        detail_digest=digest(salt, detail_json),
    )
    session.info.setdefault(PENDING_KEY, []).append(entry)
    return entry


def chain_now(session: Session) -> None:
    """Chain the entries this transaction recorded (at commit, or now for their ``seq``).

    The transaction's other changes are flushed first, so it holds every row lock it will
    take before it waits for the chain's; while it holds the chain it only appends to it.
    So no two transactions can deadlock, one waiting for a row the other locked, the
    other for the chain."""
    pending: list[AuditEntry] = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    session.flush()
    _lock_chain(session)
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    first = seq
    for entry in pending:
        entry.seq, entry.prev_hash = seq, prev
        entry.hash = prev = _recompute(entry)
        seq += 1
    session.add_all(pending)
    session.flush()
    if extends_checkpoint(session, first):
        session.info[HEAD_KEY] = (pending[-1].seq, pending[-1].hash)  # anchored once committed


@event.listens_for(Session, "before_commit")
def _chain_before_commit(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint's entries wait for the commit
        chain_now(session)


@event.listens_for(Session, "do_orm_execute")
def _chain_before_reading(state: ORMExecuteState) -> None:
    """A transaction that reads the trail sees its own entries (as autoflush does rows)."""
    statement = state.statement
    if not (state.is_select and state.session.info.get(PENDING_KEY)):
        return
    if isinstance(statement, ClauseElement) and AuditEntry.__table__ in find_tables(
        statement, include_joins=True
    ):
        chain_now(state.session)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(SAVEPOINTS_KEY, {})
        marks[transaction] = len(session.info.get(PENDING_KEY, []))


@event.listens_for(Session, "after_transaction_end")
def _forget_savepoints(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # (a savepoint's mark is read after it ends: rollback)
        session.info.pop(SAVEPOINTS_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """A rolled-back savepoint's entries are never chained; nor a rolled-back transaction's."""
    mark = session.info.get(SAVEPOINTS_KEY, {}).get(previous) if previous.nested else 0
    pending = session.info.get(PENDING_KEY)
    if pending is not None and mark is not None:
        del pending[mark:]


@dataclass(frozen=True)
class Break:
    seq: int
    problem: str


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    problem: str | None = None  # the first break
    seq: int | None = None
    head: str = GENESIS
    breaks: tuple[Break, ...] = ()


@dataclass
class _Walk:
    prev: str = GENESIS
    expected: int = 1
    entries: int = 0
    unexplained: set[int] = field(default_factory=set)  # pseudonymised, no erasure record
    hashes: dict[int, str] = field(default_factory=dict)  # of the anchored entries
    breaks: list[Break] = field(default_factory=list)


def _step(walk: _Walk, entry: AuditEntry) -> None:
    """Check one entry; note what is wrong with it (one problem per entry)."""
    walk.entries += 1
    if entry.salt is None and entry.actor_digest is not None:
        walk.unexplained.add(entry.seq)
    if entry.action == ERASURE_ACTION:
        walk.unexplained -= _seqs(json.loads(entry.detail).get("ranges", []))
    if _recompute(entry) != entry.hash:
        walk.breaks.append(Break(entry.seq, f"entry {entry.seq} was edited"))
    elif entry.seq > walk.expected:
        gone = walk.expected, entry.seq - 1
        missing = f"entry {gone[0]}" if gone[0] == gone[1] else f"entries {gone[0]}-{gone[1]}"
        problem = f"{missing} missing: deleted before entry {entry.seq}"
        walk.breaks.append(Break(walk.expected, problem))
    elif entry.prev_hash != walk.prev:
        problem = (
            f"entry {entry.seq} does not follow entry {entry.seq - 1}: "
            "an entry was inserted, deleted or moved here"
        )
        walk.breaks.append(Break(entry.seq, problem))
    walk.prev, walk.expected = entry.hash, entry.seq + 1


def _check_anchor(walk: _Walk, anchor: Anchor) -> Break | None:
    """Whether the chain still holds a head it was seen to have (not cut short or swapped)."""
    last, held = walk.expected - 1, walk.hashes.get(anchor.seq)
    if anchor.seq > last:
        return Break(
            last + 1,
            f"the trail ends at entry {last} but {anchor.source} saw {anchor.seq} entries: "
            "its newest entries were deleted, or it was replaced by an older copy",
        )
    if held is not None and not held.startswith(anchor.head.lower()):
        return Break(
            anchor.seq,
            f"entry {anchor.seq} is not the one {anchor.source} saw: "
            "the trail was replaced or rewritten",
        )
    return None  # held, or deleted from the middle (the walk names that)


def _file_anchor() -> tuple[list[Anchor], list[Break]]:
    try:
        found = read_checkpoint()
    except CheckpointInvalid as exc:
        return [], [Break(0, str(exc))]
    if found is None:
        problem = "no checkpoint of the head: a trail cut short cannot be told from a whole one"
        return [], [Break(0, problem)]
    return [found.anchor()], []


def verify(session: Session, anchors: Iterable[Anchor] = (), *, checkpoint: bool = True) -> Verdict:
    """Walk the whole chain and check it against its anchors; report every broken entry.

    The anchors are the checkpoint in the data directory (unless ``checkpoint`` is false)
    and any heads given, such as one posted to the team channel.
    """
    wanted, file_breaks = list(anchors), list[Break]()
    if checkpoint:
        from_file, file_breaks = _file_anchor()
        wanted += from_file
    walk, anchored = _Walk(), {a.seq for a in wanted}
    for entry in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
        _step(walk, entry)
        if entry.seq in anchored:
            walk.hashes[entry.seq] = entry.hash
    breaks = walk.breaks + [b for a in wanted if (b := _check_anchor(walk, a)) is not None]
    breaks += [b for b in file_breaks if walk.entries]  # an empty trail needs no anchor
    problem = "lost its clear values without an erasure record"
    breaks += [Break(seq, f"entry {seq} {problem}") for seq in sorted(walk.unexplained)]
    first = breaks[0] if breaks else None
    return Verdict(
        ok=not breaks,
        entries=walk.entries,
        problem=first.problem if first else None,
        seq=first.seq if first else None,
        head=walk.prev,
        breaks=tuple(breaks),
    )


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


ERASURE_ACTION = "audit.pseudonymise"


def _seqs(ranges: Iterable[str]) -> set[int]:
    found: set[int] = set()
    for item in ranges:
        a, b = (int(x) for x in str(item).split("-"))
        found.update(range(a, b + 1))
    return found
