"""The written record of each incident must be trustworthy: at intervals this flow checks
the hash-chained audit trail and posts its head to the team channel, an anchor kept out of
reach of whoever can change CARE's database or data directory."""

from __future__ import annotations

from prefect import flow

from tasks.audit import checkpoint_audit_now


@flow(name="checkpoint-audit", flow_run_name="audit-checkpoint")
def checkpoint_audit() -> str:
    """Verify the trail; post its head (or that it is broken) to the team channel."""
    head = checkpoint_audit_now()
    return "anchored" if head.ok else "broken"
