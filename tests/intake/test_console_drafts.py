"""A refused answer is finished in the console without typing it again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import db
from models.answers import ReviewAnswer
from models.tables import Draft, ReviewOutcome
from record.acts.form_answer import answer_step
from tests.support.console import csrf, next_code
from tests.support.console_case import Case, audit_entries, console_case
from tests.support.lifecycle import REVIEW

WHAT_HAPPENED = "Loud remarks about a speaker at the registration desk"


@pytest.fixture
def case(care_db: str) -> Case:
    return console_case()


def _refused_review(case: Case) -> int:
    """ana's review, typed in the Prefect form with a wrong code, kept as her draft."""
    answer = ReviewAnswer.model_validate(
        {"reviewer": "ana", "code": "000000", **REVIEW, "what_happened": WHAT_HAPPENED}
    )
    with db.session_scope() as session:
        refused = answer_step(
            session,
            incident_code=case.code,
            step=f"review-{case.code.lower()}-1",
            form="review",
            target={"round": 1},
            answer=answer,
            channel="ui",
        )
    assert not refused.counted and refused.draft_id is not None
    return refused.draft_id


def _as_submitted(draft_id: int) -> dict[str, str]:
    """The draft's fields as the browser submits its prefilled form."""
    with db.session_scope() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and isinstance(draft.answer, dict)
        typed = dict(draft.answer)
    form = {k: v for k, v in typed.items() if isinstance(v, str) and k != "reviewer"}
    form |= {k: "on" for k, v in typed.items() if v is True}
    form |= {f"resolve_{key}": "on" for key in typed["resolutions"]}
    return form


def test_the_waiting_page_lists_the_answer_and_its_page_shows_it(case: Case) -> None:
    draft_id = _refused_review(case)
    client = case.client("ana")
    waiting = client.get("/console/")
    assert "Answers to finish" in waiting.text
    assert f"/console/drafts/{draft_id}" in waiting.text
    assert "the code was wrong or had expired" in waiting.text
    shown = client.get(f"/console/drafts/{draft_id}")
    assert shown.status_code == 200
    assert WHAT_HAPPENED in shown.text
    assert 'name="resolve_stop_behaviour" checked' in shown.text
    assert [e.actor for e in audit_entries("draft.view")] == ["ana"]
    assert case.client("ben").get(f"/console/drafts/{draft_id}").status_code == 404


def test_finishing_it_with_a_good_code_records_the_review(case: Case) -> None:
    draft_id = _refused_review(case)
    client = case.client("ana")
    data = {**_as_submitted(draft_id), "csrf": csrf(client), "code": next_code(case.totp["ana"])}
    finished = client.post(f"/console/drafts/{draft_id}", data=data, follow_redirects=False)
    assert finished.status_code == 303, finished.text
    assert finished.headers["location"] == f"/console/incidents/{case.code}?done=draft"
    with db.session_scope() as session:
        outcome = session.scalars(select(ReviewOutcome)).one()
        assert outcome.what_happened == WHAT_HAPPENED
        assert outcome.resolutions == ["stop_behaviour", "do_not_publish_video"]
        assert session.get(Draft, draft_id).resolved_at is not None  # type: ignore[union-attr]
    assert "Answers to finish" not in client.get("/console/").text


def test_a_wrong_code_again_keeps_what_was_typed_now(case: Case) -> None:
    draft_id = _refused_review(case)
    client = case.client("ana")
    data = {**_as_submitted(draft_id), "csrf": csrf(client), "code": "111111"}
    data["what_happened"] = "Loud remarks, and a shove"
    again = client.post(f"/console/drafts/{draft_id}", data=data)
    assert again.status_code == 400
    assert "the code was wrong or had expired" in again.text
    assert "Loud remarks, and a shove" in again.text
    with db.session_scope() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.resolved_at is None
        assert isinstance(draft.answer, dict)
        assert draft.answer["what_happened"] == "Loud remarks, and a shove"
        assert session.scalars(select(ReviewOutcome)).first() is None
