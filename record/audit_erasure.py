"""Pseudonymise audit entries: the clear actor and detail go, the chain still verifies.

Each entry's hash covers salted digests of its actor and detail (record.audit). Erasure
replaces the clear values, drops the salt and keeps the digests, then chains an erasure
record naming the entries, without which ``audit.verify`` refuses them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from models.tables import AuditEntry
from record.audit import ERASURE_ACTION, record


def ranges(seqs: Iterable[int]) -> list[str]:
    """Compact sequence numbers: [1, 2, 3, 7] -> ["1-3", "7-7"]."""
    out: list[list[int]] = []
    for seq in sorted(seqs):
        if out and seq == out[-1][1] + 1:
            out[-1][1] = seq
        else:
            out.append([seq, seq])
    return [f"{a}-{b}" for a, b in out]


def _replace_detail(detail: str, rename: Callable[[str], str]) -> str:
    data = json.loads(detail)
    for key, value in data.items():
        if isinstance(value, str):
            data[key] = rename(value)
        elif isinstance(value, list):
            data[key] = [rename(v) if isinstance(v, str) else v for v in value]
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def pseudonymise(
    session: Session,
    entries: Iterable[AuditEntry],
    rename: Callable[[str], str],
    *,
    actor: str,
    reason: str,
) -> int:
    """Replace actors and detail values by ``rename(value)``; keep the chain verifiable.

    Entries from before erasure support (no digests) are left as they are. Returns how many
    entries were pseudonymised; an erasure record naming them is appended to the chain.
    """
    touched: list[int] = []
    for entry in entries:
        if entry.salt is None:
            continue  # already pseudonymised, or chained in the clear before erasure support
        entry.actor = ":".join(rename(part) for part in entry.actor.split(":"))
        entry.detail = _replace_detail(entry.detail, rename)
        entry.salt = None
        touched.append(entry.seq)
    session.flush()
    if touched:
        record(session, actor=actor, action=ERASURE_ACTION, reason=reason, ranges=ranges(touched))
    return len(touched)
