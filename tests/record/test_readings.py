"""Nobody approves what they did not see: a text counts only from members shown it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import db, totp
from models.tables import AuditEntry
from policy.signoff import DecisionKind, DecisionStatus
from record import decisions as svc
from record import outcomes, readings
from record.acts.answer import Answered, Verdict, answer_decision
from record.incidents import get_incident
from tests.support.seed import seed_report, seed_team

DRAFT = "Dear reporter, the team asked the person to stop."


@pytest.fixture
def drafted(care_db: str) -> tuple[int, dict[str, str]]:
    """A reporter message CARE drafted: no member proposed it."""
    with db.session_scope() as session:
        seeded = seed_team(session)
        incident = get_incident(session, seed_report(session))
        decision = svc.propose(
            session,
            kind=DecisionKind.reporter_message,
            summary="Send the message CARE drafted to the reporter of report 1",
            proposer=None,
            incident=incident,
            body=DRAFT,
        )
        return decision.id, seeded.totp


def _answer(
    decision_id: int, handle: str, secrets: dict[str, str], verdict: Verdict = "approve"
) -> Answered:
    with db.session_scope() as session:
        return answer_decision(
            session,
            decision_id=decision_id,
            handle=handle,
            verdict=verdict,
            channel="cli",
            code=totp.current_code(secrets[handle]),
        )


def _show(decision_id: int, handle: str) -> None:
    with db.session_scope() as session:
        readings.record_showing(
            session, member=handle, decision=svc.get_decision(session, decision_id)
        )


def test_a_drafted_text_has_no_approval_yet(drafted: tuple[int, dict[str, str]]) -> None:
    decision_id, _ = drafted
    with db.session_scope() as session:
        st = svc.state(session, svc.get_decision(session, decision_id))
        assert st.proposer is None and st.approvers == [] and st.required == 2


def test_an_approval_without_reading_is_refused(drafted: tuple[int, dict[str, str]]) -> None:
    decision_id, secrets = drafted
    result = _answer(decision_id, "ben", secrets)
    assert not result.counted and result.refusal == "text_not_read"
    assert result.state.status == DecisionStatus.pending


def test_two_members_who_read_it_approve_it(drafted: tuple[int, dict[str, str]]) -> None:
    decision_id, secrets = drafted
    _show(decision_id, "ben")
    first = _answer(decision_id, "ben", secrets)
    assert first.counted and first.state.status == DecisionStatus.pending
    _show(decision_id, "chloe")
    second = _answer(decision_id, "chloe", secrets)
    assert second.counted and second.state.status == DecisionStatus.approved
    assert second.state.approvers == ["ben", "chloe"]


def test_another_members_reading_does_not_count(drafted: tuple[int, dict[str, str]]) -> None:
    decision_id, secrets = drafted
    _show(decision_id, "ben")
    result = _answer(decision_id, "chloe", secrets)
    assert not result.counted and result.refusal == "text_not_read"


def test_a_member_may_object_before_reading(drafted: tuple[int, dict[str, str]]) -> None:
    decision_id, secrets = drafted
    result = _answer(decision_id, "dev", secrets, verdict="object")
    assert result.counted and result.state.status == DecisionStatus.objected


def test_a_showing_is_audited_once_with_ids_only(drafted: tuple[int, dict[str, str]]) -> None:
    decision_id, _ = drafted
    _show(decision_id, "ben")
    _show(decision_id, "ben")
    with db.session_scope() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "decision.text.shown")
        ).all()
        assert [(r.actor, r.incident_code, r.detail) for r in rows] == [
            ("ben", "DCE26-1", f'{{"decision":{decision_id}}}')
        ]
        decision = svc.get_decision(session, decision_id)
        assert readings.was_shown(session, member="ben", decision=decision)
        assert not readings.was_shown(session, member="chloe", decision=decision)


def test_a_text_a_member_wrote_counts_them_as_one(care_db: str) -> None:
    with db.session_scope() as session:
        secrets = seed_team(session).totp
        incident = get_incident(session, seed_report(session))
        decision_id = outcomes.propose_text(
            session,
            incident,
            kind=DecisionKind.reporter_message,
            member="dev",
            code=totp.current_code(secrets["dev"]),
            text="Dear reporter, thank you.",
            report_id=1,
        )
    _show(decision_id, "eve")
    result = _answer(decision_id, "eve", secrets)
    assert result.counted and result.state.status == DecisionStatus.approved
    assert result.state.approvers == ["dev", "eve"]
