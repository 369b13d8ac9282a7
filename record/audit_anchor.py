"""The audit chain's anchor: its head kept outside the table it protects.

A hash chain shows any entry edited, moved or deleted *between* others, but not the newest
entries deleted, nor the whole table swapped for an older copy: what is left is still a
valid chain. So every commit that appends to the chain also writes its head (the entry
count and the last hash) to a checkpoint file in the data directory, signed with a key
derived from the encryption key, and the checkpoint only ever moves forward. The team
channel gets the same head at intervals (``flows.audit``), out of reach of whoever can
change the database. ``audit.verify`` checks the chain against both.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from models.settings import SettingsError, get_settings
from models.tables import AuditEntry

log = logging.getLogger("care.audit")

FILE_NAME = "audit-checkpoint.json"
HEAD_KEY = "care_audit_head"  # in Session.info: the (seq, hash) this transaction appended
_PURPOSE = b"care audit checkpoint v1"


@dataclass(frozen=True)
class Anchor:
    """A head the chain must still hold: entry ``seq`` has a hash starting ``head``."""

    seq: int
    head: str
    source: str  # where it comes from, for the report: "the checkpoint of <time>"


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    head: str
    at: str
    mac: str

    def anchor(self) -> Anchor:
        return Anchor(self.seq, self.head, f"the checkpoint of {self.at[:19]}Z")


class CheckpointInvalid(ValueError):
    """The checkpoint file is unreadable or its signature does not match."""


def checkpoint_path() -> Path:
    return get_settings().data_dir / FILE_NAME


def _mac(key: str, seq: int, head: str, at: str) -> str:
    subkey = hmac.new(key.encode(), _PURPOSE, hashlib.sha256).digest()
    return hmac.new(subkey, f"{seq}:{head}:{at}".encode(), hashlib.sha256).hexdigest()


def sign(seq: int, head: str) -> Checkpoint:
    at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "")
    return Checkpoint(seq, head, at, _mac(get_settings().keys()[0], seq, head, at))


def read_checkpoint(path: Path | None = None) -> Checkpoint | None:
    """The checkpoint, if there is one; raise CheckpointInvalid if it was altered."""
    path = path or checkpoint_path()
    if not path.exists():
        return None
    try:
        raw: dict[str, Any] = json.loads(path.read_text())
        found = Checkpoint(int(raw["seq"]), str(raw["head"]), str(raw["at"]), str(raw["mac"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointInvalid(f"the checkpoint {path.name} cannot be read") from exc
    keys = get_settings().keys()  # the current key and those being rotated out
    if not any(
        hmac.compare_digest(found.mac, _mac(k, found.seq, found.head, found.at)) for k in keys
    ):
        raise CheckpointInvalid(f"the checkpoint {path.name} was altered: its signature fails")
    return found


def extends_checkpoint(session: Session, seq: int) -> bool:
    """Whether a new entry ``seq`` continues the checkpointed chain (inside its transaction).

    Not when the checkpoint was altered, nor when the entry it names is gone or different
    (the trail was cut short or swapped, and CARE writes on): the checkpoint then stays
    where it is, and verify keeps saying so, until an operator resets it.
    """
    if HEAD_KEY in session.info:
        return True  # checked at this transaction's first entry
    try:
        current = read_checkpoint()
    except CheckpointInvalid:
        return False
    if current is None or current.seq >= seq:
        return current is None
    held = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == current.seq))
    return held == current.head


def write_checkpoint(seq: int, head: str, *, force: bool = False) -> bool:
    """Move the checkpoint forward to this head (never back, unless ``force``)."""
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # processes of one host append concurrently
        try:
            current = read_checkpoint(path)
        except CheckpointInvalid:
            if not force:
                return False  # evidence: only an operator's reset replaces it
            current = None
        if current is not None and current.seq >= seq and not force:
            return False
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(sign(seq, head).__dict__, handle)
        os.replace(tmp, path)
    return True


@event.listens_for(Session, "after_commit")
def _anchor_committed_head(session: Session) -> None:
    head = session.info.pop(HEAD_KEY, None)
    if head is None:
        return
    try:
        write_checkpoint(*head)
    except (OSError, SettingsError):  # the commit stands; the checkpoint lags behind
        log.exception("the audit checkpoint could not be written (entry %s)", head[0])


@event.listens_for(Session, "after_soft_rollback")
def _forget_head(session: Session, _previous: Any) -> None:
    session.info.pop(HEAD_KEY, None)  # the checkpoint only ever holds committed heads
