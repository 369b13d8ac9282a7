"""Restarts are counted per incident and flow from the audit action, old entries too."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deployments import revive
from models import db
from models.tables import AuditEntry
from record import audit
from tests.support.seed import seed_report, seed_team

LIFECYCLE, ESCALATION = "handle-incident", "escalate-incident"


@pytest.fixture
def code(care_db: str) -> str:
    with db.session_scope() as session:
        seed_team(session)
        return seed_report(session)


def _actions(code: str) -> list[str]:
    with db.session_scope() as session:
        query = select(AuditEntry.action).where(AuditEntry.incident_code == code)
        return [a for a in session.scalars(query.order_by(AuditEntry.seq)) if a.startswith("flow.")]


def _legacy_restart(code: str, flow_name: str, attempt: int) -> None:
    """An entry as releases before the action named the flow wrote it."""
    with db.session_scope() as session:
        audit.record(
            session,
            actor="care",
            action="flow.restarted",
            incident_code=code,
            flow=flow_name,
            attempt=attempt,
        )


def test_each_restart_names_its_flow_in_the_action(code: str) -> None:
    assert revive.next_attempt(code, LIFECYCLE, "run-1") == 1
    assert revive.next_attempt(code, ESCALATION, "run-2") == 1  # counted apart
    assert revive.next_attempt(code, LIFECYCLE, "run-3") == 2
    assert _actions(code) == [
        "flow.restarted.handle-incident",
        "flow.restarted.escalate-incident",
        "flow.restarted.handle-incident",
    ]


def test_restarts_of_earlier_releases_still_count(code: str) -> None:
    _legacy_restart(code, LIFECYCLE, 1)
    _legacy_restart(code, LIFECYCLE, 2)
    _legacy_restart(code, ESCALATION, 1)
    assert revive.next_attempt(code, LIFECYCLE, "run-1") == 3
    assert revive.next_attempt(code, LIFECYCLE, "run-2") is None  # 3 spent: gives up once
    assert revive.next_attempt(code, LIFECYCLE, "run-3") is None
    assert revive.next_attempt(code, ESCALATION, "run-4") == 2
    assert _actions(code)[3:] == [
        "flow.restarted.handle-incident",
        "flow.gave_up.handle-incident",
        "flow.restarted.escalate-incident",
    ]
