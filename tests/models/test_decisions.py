"""Sign-off as the team relies on it: two members, proven by their codes, no one conflicted."""

from __future__ import annotations

import pytest

from models import db, totp
from policy.signoff import DecisionKind
from record import decisions as svc
from record.incidents import declare_conflict, get_incident
from record.members import deactivate
from tests.support.seed import seed_report, seed_team


@pytest.fixture
def pending(care_db: str) -> tuple[int, dict[str, str]]:
    with db.session_scope() as session:
        seeded = seed_team(session)
        incident = get_incident(session, seed_report(session))
        decision = svc.propose(
            session,
            kind=DecisionKind.review_outcome,
            summary="violation: yes; stop_behaviour",
            proposer="ana",
            incident=incident,
        )
        return decision.id, seeded.totp


def _answer(
    decision_id: int,
    handle: str,
    code: str | None,
    *,
    verdict: svc.Verdict = "approve",
    channel: svc.AnswerChannel = "cli",
    comment: str | None = None,
) -> svc.AnswerResult:
    with db.session_scope() as session:
        return svc.answer(
            session,
            decision_id=decision_id,
            handle=handle,
            verdict=verdict,
            channel=channel,
            code=code,
            comment=comment,
        )


def test_proposer_and_one_other_member_approve(pending: tuple[int, dict[str, str]]) -> None:
    decision_id, secrets = pending
    result = _answer(decision_id, "ben", totp.current_code(secrets["ben"]))
    assert result.counted and result.state.status == "approved"
    assert result.state.approvers == ["ana", "ben"]


def test_proposer_cannot_approve_own_decision_again(pending: tuple[int, dict[str, str]]) -> None:
    decision_id, secrets = pending
    result = _answer(decision_id, "ana", totp.current_code(secrets["ana"]))
    assert not result.counted and result.refusal == "already_counted"
    assert result.state.status == "pending"


def test_wrong_code_is_refused_and_recorded(pending: tuple[int, dict[str, str]]) -> None:
    decision_id, _secrets = pending
    result = _answer(decision_id, "ben", "000000")
    assert not result.counted and result.refusal == "bad_code"
    with db.session_scope() as session:
        rows = svc.get_decision(session, decision_id).approvals
        assert [(a.claimed_handle, a.refusal) for a in rows] == [("ben", "bad_code")]


def test_a_code_is_accepted_once(pending: tuple[int, dict[str, str]]) -> None:
    decision_id, secrets = pending
    with db.session_scope() as session:
        other = svc.propose(
            session,
            kind=DecisionKind.other,
            summary="x",
            proposer="chloe",
            incident=get_incident(session, "DCE26-1"),
        )
        other_id = other.id
    code = totp.current_code(secrets["ben"])
    assert _answer(other_id, "ben", code).counted
    again = _answer(decision_id, "ben", code)
    assert not again.counted and again.refusal == "code_reused"


def test_conflicted_member_is_refused_and_leaves_the_eligible_list(
    pending: tuple[int, dict[str, str]],
) -> None:
    decision_id, secrets = pending
    with db.session_scope() as session:
        declare_conflict(session, get_incident(session, "DCE26-1"), "ben")
        assert "ben" not in svc.state(session, svc.get_decision(session, decision_id)).eligible
    result = _answer(decision_id, "ben", totp.current_code(secrets["ben"]))
    assert not result.counted and result.refusal == "conflicted"


def test_inactive_member_is_refused(pending: tuple[int, dict[str, str]]) -> None:
    decision_id, secrets = pending
    with db.session_scope() as session:
        deactivate(session, "ben")
    result = _answer(decision_id, "ben", totp.current_code(secrets["ben"]))
    assert not result.counted and result.refusal == "inactive"


def test_unknown_member_is_refused(pending: tuple[int, dict[str, str]]) -> None:
    decision_id, _ = pending
    result = _answer(decision_id, "mallory", "123456")
    assert not result.counted and result.refusal == "unknown_member"


def test_objection_returns_the_decision(pending: tuple[int, dict[str, str]]) -> None:
    decision_id, secrets = pending
    result = _answer(
        decision_id,
        "chloe",
        totp.current_code(secrets["chloe"]),
        verdict="object",
        comment="talk to the witness first",
    )
    assert result.counted and result.state.status == "objected"
    with db.session_scope() as session:
        assert svc.get_decision(session, decision_id).objection == "talk to the witness first"


def test_slack_identity_needs_no_code(pending: tuple[int, dict[str, str]]) -> None:
    decision_id, _ = pending
    result = _answer(decision_id, "dev", None, channel="slack")
    assert result.counted and result.state.status == "approved"


def test_public_statement_needs_a_team_majority(care_db: str) -> None:
    with db.session_scope() as session:
        seeded = seed_team(session)
        incident = get_incident(session, seed_report(session))
        declare_conflict(session, incident, "eve")
        decision_id = svc.propose(
            session,
            kind=DecisionKind.public_statement_decision,
            summary="make a statement",
            proposer="ana",
            incident=incident,
        ).id
    first = _answer(decision_id, "ben", totp.current_code(seeded.totp["ben"]))
    assert first.counted and first.state.required == 3 and first.state.status == "pending"
    second = _answer(decision_id, "chloe", totp.current_code(seeded.totp["chloe"]))
    assert second.state.status == "approved"


def test_closed_decision_takes_no_more_answers(pending: tuple[int, dict[str, str]]) -> None:
    decision_id, secrets = pending
    assert _answer(decision_id, "ben", totp.current_code(secrets["ben"])).counted
    late = _answer(decision_id, "chloe", totp.current_code(secrets["chloe"]))
    assert not late.counted and late.refusal == "decision_closed"
