"""Check the audit trail, move its checkpoint forward and post the head to the team channel.

Everything returned is counts, sequence numbers and hashes: nothing personal reaches
Prefect. ``checkpoint`` is what `care audit checkpoint` and the scheduled flow both call.
"""

from __future__ import annotations

from dataclasses import dataclass

from prefect import task

from adapters.notices import announce_audit_head
from models import db
from record import audit
from record.audit_anchor import CheckpointInvalid, read_checkpoint, write_checkpoint


@dataclass(frozen=True)
class AuditHead:
    ok: bool
    entries: int
    head: str
    breaks: int
    posted: str | None = None  # the team notice's delivery status


class ResetRefused(RuntimeError):
    """The chain itself does not verify: its head is no anchor to reset to."""


def checkpoint(*, reset: bool = False, actor: str = "care") -> AuditHead:
    """Verify the trail; if it holds, anchor its head and post it (``reset``: re-anchor)."""
    with db.session_scope() as session:
        verdict = audit.verify(session)
    if not verdict.ok and reset:
        return _reset(actor)
    if not verdict.ok:
        posted = announce_audit_head(verdict.entries, verdict.head, broken=len(verdict.breaks))
        return AuditHead(False, verdict.entries, verdict.head, len(verdict.breaks), posted)
    write_checkpoint(verdict.entries, verdict.head)
    posted = announce_audit_head(verdict.entries, verdict.head)
    return AuditHead(True, verdict.entries, verdict.head, 0, posted)


def _reset(actor: str) -> AuditHead:
    """Anchor a chain that is whole in itself but not the one checkpointed (a restore)."""
    try:
        old = read_checkpoint()
    except CheckpointInvalid:
        old = None
    with db.session_scope() as session:
        whole = audit.verify(session, checkpoint=False)
        if not whole.ok:
            raise ResetRefused(f"the trail itself is broken ({whole.problem}); nothing reset")
        entry = audit.record(
            session, actor=actor, action="audit.reanchor", was=old.seq if old else None
        )
        audit.chain_now(session)  # its seq and hash, for the checkpoint
        seq, head = entry.seq, entry.hash
    write_checkpoint(seq, head, force=True)
    posted = announce_audit_head(seq, head, reset=True)
    return AuditHead(True, seq, head, 0, posted)


@task(task_run_name="checkpoint-audit", retries=2, retry_delay_seconds=10)
def checkpoint_audit_now() -> AuditHead:
    return checkpoint()
