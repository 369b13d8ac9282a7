"""An answer's code counts at the moment it was given, once; a refused answer is kept."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from models import db, totp
from models.answers import FindingsAnswer, ReviewAnswer
from models.db import utcnow
from models.tables import Draft, ReviewOutcome
from record.acts.form_answer import StepAnswered, answer_step, open_drafts
from record.identity import find_member
from tests.support.lifecycle import REVIEW
from tests.support.seed import seed_report, seed_team

WHAT_HAPPENED = "Marguerite Oyelaran-Fitch was shouted at near the lanyard desk"


@pytest.fixture
def world(care_db: str) -> tuple[str, dict[str, str]]:
    with db.session_scope() as session:
        secrets = seed_team(session).totp
        return seed_report(session), secrets


def _review(code: str, handle: str, typed: str, at: datetime, **extra: object) -> StepAnswered:
    answer = ReviewAnswer.model_validate({"reviewer": handle, "code": typed, **REVIEW, **extra})
    with db.session_scope() as session:
        return answer_step(
            session,
            incident_code=code,
            step=f"review-{code.lower()}-1",
            form="review",
            target={"round": 1},
            answer=answer,
            channel="ui",
            submitted_at=at,
        )


def test_a_code_valid_when_submitted_counts_though_expired_when_processed(world: tuple) -> None:
    code, secrets = world
    submitted = utcnow() - timedelta(seconds=95)  # the run read the answer 95 s later
    typed = totp.current_code(secrets["ana"], at=submitted.timestamp())
    expired_now, _ = totp.check_code(secrets["ana"], typed, last_step=None)
    assert expired_now is totp.CodeCheck.bad_code  # checked now, as before, it was refused

    answered = _review(code, "ana", typed, submitted)

    assert answered.counted and answered.member == "ana" and answered.draft_id is None
    with db.session_scope() as session:
        assert session.scalars(sa.select(ReviewOutcome)).one().what_happened is not None


def test_a_code_counts_once(world: tuple) -> None:
    code, secrets = world
    at = utcnow()
    typed = totp.current_code(secrets["ana"], at=at.timestamp())
    gather = {"needs_more_information": True, "information_to_gather": "Ask the witness"}
    assert _review(code, "ana", typed, at, **gather).counted
    with db.session_scope() as session:
        outcome_id = session.scalars(sa.select(ReviewOutcome.id)).one()
        replay = answer_step(
            session,
            incident_code=code,
            step=f"findings-{code.lower()}-1",
            form="findings",
            target={"outcome": outcome_id},
            answer=FindingsAnswer(member="ana", code=typed, findings="The witness confirmed it"),
            channel="ui",
            submitted_at=at,
        )
    assert not replay.counted
    assert replay.reason is not None and "already used" in replay.reason
    assert replay.reason.startswith("The answer of ana was not counted")


def test_a_refused_answer_is_kept_encrypted_as_the_members_draft(world: tuple) -> None:
    code, _secrets = world
    refused = _review(code, "ana", "000000", utcnow(), what_happened=WHAT_HAPPENED)

    assert not refused.counted and refused.draft_id is not None
    assert refused.reason == "The answer of ana was not counted: the code was wrong or had expired"
    with db.session_scope() as session:
        draft = session.get(Draft, refused.draft_id)
        assert draft is not None and draft.form == "review" and draft.resolved_at is None
        assert isinstance(draft.answer, dict)
        assert draft.answer["what_happened"] == WHAT_HAPPENED
        assert "code" not in draft.answer  # a code is never kept
        ana = find_member(session, "ana")
        assert ana is not None and [d.id for d in open_drafts(session, member_id=ana.id)] == [
            draft.id
        ]
        assert session.scalars(sa.select(ReviewOutcome)).first() is None
    with db.engine().connect() as conn:
        raw = conn.execute(sa.text("SELECT answer, reason FROM drafts")).one()
    assert "Oyelaran" not in raw[0] and "lanyard" not in raw[0]
    assert "Oyelaran" not in raw[1]


def test_a_draft_finished_with_a_good_code_counts_and_is_resolved(world: tuple) -> None:
    code, secrets = world
    refused = _review(code, "ana", "000000", utcnow())
    with db.session_scope() as session:
        draft = session.get(Draft, refused.draft_id)
        assert draft is not None and isinstance(draft.answer, dict)
        typed = dict(draft.answer)
        at = utcnow()
        answer = ReviewAnswer.model_validate(
            {**typed, "code": totp.current_code(secrets["ana"], at=at.timestamp())}
        )
        finished = answer_step(
            session,
            incident_code=code,
            step=draft.step,
            form="review",
            target=dict(draft.target or {}),
            answer=answer,
            channel="console",
            submitted_at=at,
            draft_id=draft.id,
        )
    assert finished.counted
    with db.session_scope() as session:
        assert session.get(Draft, refused.draft_id).resolved_at is not None  # type: ignore[union-attr]


def test_drafts_of_a_step_answered_since_are_closed(world: tuple) -> None:
    code, secrets = world
    refused = _review(code, "ben", "000000", utcnow())
    at = utcnow()
    assert _review(code, "ana", totp.current_code(secrets["ana"], at=at.timestamp()), at).counted
    with db.session_scope() as session:
        assert session.get(Draft, refused.draft_id).resolved_at is not None  # type: ignore[union-attr]
    later = utcnow()
    again = _review(code, "ben", totp.current_code(secrets["ben"], at=later.timestamp()), later)
    assert not again.counted
    assert again.reason is not None and "already answered" in again.reason
    with db.session_scope() as session:
        assert session.get(Draft, again.draft_id).resolved_at is not None  # type: ignore[union-attr]
