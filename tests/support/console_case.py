"""One incident in the console as the console tests meet it: a decision, a note, a conflict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from models import db
from models.tables import AuditEntry, Conversation, Member
from policy.signoff import DecisionKind
from record import decisions as decision_svc
from record.incidents import add_note, declare_conflict, get_incident
from tests.support.console import console_app, signed_in
from tests.support.seed import SECRETS, seed_report, seed_team


@dataclass
class Case:
    app: FastAPI
    code: str
    urgent_code: str
    decision_id: int
    conversation_id: int
    totp: dict[str, str]

    def client(self, handle: str) -> TestClient:
        return signed_in(self.app, handle, self.totp[handle])


def console_case() -> Case:
    """Seed the team and the case; the console app to sign in to."""
    with db.session_scope() as session:
        seeded = seed_team(session)
        incident = get_incident(session, seed_report(session))
        incident.reported_at = datetime(2026, 4, 21, 8, 5, tzinfo=UTC)
        urgent = seed_report(session, message_id="web-2", urgent=True)
        decision = decision_svc.propose(
            session,
            kind=DecisionKind.review_outcome,
            summary="violation: yes; stop_behaviour",
            proposer="ana",
            incident=incident,
        )
        declare_conflict(session, incident, "dev")
        add_note(session, incident, author="ana", body=SECRETS["note"])
        ids = dict(session.execute(select(Member.handle, Member.id)).tuples().all())
        conversation = Conversation(
            incident_id=incident.id, member_a_id=ids["ben"], member_b_id=ids["chloe"]
        )
        session.add(conversation)
        session.flush()
        app, _config = console_app()
        return Case(app, incident.code, urgent, decision.id, conversation.id, seeded.totp)


def audit_entries(action: str) -> list[AuditEntry]:
    with db.session_scope() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
