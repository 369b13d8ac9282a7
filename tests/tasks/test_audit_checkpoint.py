"""The audit trail's head is anchored and posted to the team channel; a reset is audited."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy import select

from models import db
from models.tables import AuditEntry, Message
from record import audit
from tasks.audit import checkpoint
from tests.support.seed import seed_report, seed_team


def _notices() -> list[str]:
    with db.session_scope() as session:
        rows = session.scalars(
            select(Message).where(Message.channel == "slack").order_by(Message.id)
        )
        return [m.body for m in rows if "audit" in m.body.lower()]


def test_the_head_is_posted_then_a_cut_is_reported_then_an_operator_resets(care_db: str) -> None:
    with db.session_scope() as session:
        seed_team(session)
        seed_report(session)
    head = checkpoint()
    assert head.ok and head.posted == "outbox"
    assert f"{head.entries} entries, head `{head.head[:16]}`" in _notices()[-1]
    assert f"care audit verify --checkpoint {head.entries}:{head.head[:16]}" in _notices()[-1]

    with db.engine().begin() as conn:  # a restore from an older backup, say
        conn.execute(sa.text("DELETE FROM audit_entries WHERE seq > 3"))
    broken = checkpoint()
    assert not broken.ok and broken.breaks == 1 and "does not verify" in _notices()[-1]

    reset = checkpoint(reset=True, actor="operator")
    assert reset.ok and 3 < reset.entries < head.entries
    assert "*reset* by an operator" in _notices()[-1]
    with db.session_scope() as session:
        assert audit.verify(session).ok
        reanchor = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "audit.reanchor")
        ).one()
        assert reanchor.actor == "operator"  # the checkpoint moved on as the notice was queued
        assert json.loads(reanchor.detail)["was"] >= head.entries
