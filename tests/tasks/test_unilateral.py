"""An immediate action taken alone is recorded as unilateral and reviewed by the team."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import db
from models.tables import AuditEntry, Decision, Message, UnilateralAction
from record import decisions
from record.incidents import get_incident
from record.review import ReviewRefused
from record.unilateral import open_unilateral_reviews, record_unilateral_action
from tasks.reminders import remind_unilateral_reviews_now
from tests.support.codes import Codes
from tests.support.seed import seed_report, seed_team


def _ana_acted_alone(session: Session, codes: Codes, code: str) -> UnilateralAction:
    return record_unilateral_action(
        session,
        get_incident(session, code),
        member="ana",
        code=codes("ana"),
        action="Asked security to escort P1 out of the venue",
    )


def _approve(
    session: Session, decision_id: int, handle: str, codes: Codes
) -> decisions.AnswerResult:
    return decisions.answer(
        session,
        decision_id=decision_id,
        handle=handle,
        verdict="approve",
        channel="cli",
        code=codes(handle),
    )


def _team_and_urgent_report() -> tuple[Codes, str]:
    with db.session_scope() as session:
        team = seed_team(session)
        code = seed_report(session, urgent=True)
    return Codes(team.totp), code


def test_an_action_taken_alone_needs_the_teams_review_within_a_day(care_db: str) -> None:
    codes, code = _team_and_urgent_report()
    with db.session_scope() as session:
        taken = _ana_acted_alone(session, codes, code)
        assert taken.review_due_at - taken.taken_at == timedelta(hours=24)
        review = session.get(Decision, taken.review_decision_id)
        assert review is not None and review.kind == "unilateral_action_review"
        assert open_unilateral_reviews(session, get_incident(session, code)) == [review.id]
        flagged = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "unilateral.record")
        ).one()
        assert '"flagged":"unilateral"' in flagged.detail

    first = remind_unilateral_reviews_now.fn()
    again = remind_unilateral_reviews_now.fn()  # the same hour: no second reminder
    assert len(first) == 1 and again == []
    with db.session_scope() as session:
        reminder = session.scalars(select(Message)).one()
        assert code in reminder.body and "review" in reminder.body
        assert "escort" not in reminder.body  # the action itself stays in the record
        for handle in ("ben", "chloe"):  # two members review it
            _approve(session, review.id, handle, codes)
    assert remind_unilateral_reviews_now.fn() == []
    with db.session_scope() as session:
        assert open_unilateral_reviews(session) == []
        assert session.scalars(select(UnilateralAction)).one().action.startswith("Asked")


def test_a_conflicted_member_cannot_record_an_action(care_db: str) -> None:
    from record.incidents import declare_conflict

    with db.session_scope() as session:
        team = seed_team(session)
        code = seed_report(session)
        declare_conflict(session, get_incident(session, code), "ana")
    with db.session_scope() as session, pytest.raises(ReviewRefused, match="conflicted"):
        record_unilateral_action(
            session,
            get_incident(session, code),
            member="ana",
            code=Codes(team.totp)("ana"),
            action="Took the badge",
        )


def test_whoever_acted_alone_cannot_approve_the_review_of_their_own_action(
    care_db: str,
) -> None:
    codes, code = _team_and_urgent_report()
    with db.session_scope() as session:
        taken = _ana_acted_alone(session, codes, code)
        review = session.get(Decision, taken.review_decision_id)
        assert review is not None
        assert "ana" not in decisions.state(session, review).eligible
        answers = [_approve(session, review.id, handle, codes) for handle in ("ana", "ben")]
        assert [(a.counted, a.refusal) for a in answers] == [(False, "conflicted"), (True, None)]
        assert review.status == "pending"  # ana's approval did not make the pair
