""" "Waiting for me" as the team relies on it: every step waiting on a member, none hidden.

Reviews, a statement text to write and a sign-off wait on the members who may act; a
member with a conflict on an incident is waited on for none of its steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from models import db
from models.answers import ReviewAnswer
from models.tables import Incident
from policy.signoff import DecisionKind
from policy.status import IncidentStatus
from policy.waiting import StepKind
from record import decisions, waiting
from record.acts.answer import answer_decision
from record.incidents import declare_conflict, get_incident
from record.review import record_review
from tests.support.codes import Codes
from tests.support.seed import seed_report, seed_team

K = StepKind


@dataclass
class Case:
    reviews: list[str]  # two incidents waiting for their review
    statement: str  # one waiting for its public statement's text
    signoff: str  # one whose review outcome waits for its sign-off (dev is conflicted)
    decision_id: int


def _approve(session: Session, decision_id: int, *handles: str) -> None:
    for handle in handles:
        answer_decision(
            session, decision_id=decision_id, handle=handle, verdict="approve", channel="slack"
        )


def _reviewed(session: Session, incident: Incident, codes: Codes, *, public: bool) -> int:
    answer = ReviewAnswer(
        reviewer="ana",
        code=codes("ana"),
        what_happened="A remark in the hallway.",
        violation="yes",
        resolutions=["stop_behaviour"],
        happened_in_public=public,
    )
    outcome = record_review(session, incident, answer)
    assert outcome.decision_id is not None
    return outcome.decision_id


@pytest.fixture
def case(care_db: str) -> Case:
    with db.session_scope() as session:
        codes = Codes(seed_team(session).totp)
        reviews = [seed_report(session, message_id=f"web-{i}") for i in (1, 2)]
        declare_conflict(session, get_incident(session, reviews[0]), "dev")
        public = get_incident(session, seed_report(session, message_id="web-3"))
        _approve(session, _reviewed(session, public, codes, public=True), "ben")
        statement = decisions.propose(
            session,
            kind=DecisionKind.public_statement_decision,
            summary=f"Make a public statement about {public.code}",
            proposer="ana",
            incident=public,
        )
        _approve(session, statement.id, "ben", "chloe")
        public.status = IncidentStatus.public_statement
        pending = get_incident(session, seed_report(session, message_id="web-4"))
        declare_conflict(session, pending, "dev")
        decision_id = _reviewed(session, pending, codes, public=False)
        return Case(reviews, public.code, pending.code, decision_id)


def _mine(handle: str) -> list[tuple[StepKind, str | None]]:
    with db.session_scope() as session:
        return [(i.kind, i.incident_code) for i in waiting.waiting_for(session, handle=handle)]


def test_every_step_waiting_on_a_member_is_listed(case: Case) -> None:
    assert _mine("ben") == [
        (K.review, case.reviews[0]),
        (K.review, case.reviews[1]),
        (K.text, case.statement),
        (K.signoff, case.signoff),
    ]


def test_the_proposer_is_not_waited_on_for_their_own_sign_off(case: Case) -> None:
    assert (K.signoff, case.signoff) not in _mine("ana")
    assert (K.text, case.statement) in _mine("ana")


def test_a_conflicted_member_is_waited_on_for_none_of_the_incidents_steps(case: Case) -> None:
    assert _mine("dev") == [(K.review, case.reviews[1]), (K.text, case.statement)]


def test_each_item_says_what_to_do_and_links_to_the_record_and_the_run(case: Case) -> None:
    with db.session_scope() as session:
        get_incident(session, case.reviews[0]).flow_run_id = "run-1"
        decisions.get_decision(session, case.decision_id).flow_run_id = "run-2"
    with db.session_scope() as session:
        items = {(i.kind, i.incident_code): i for i in waiting.waiting_for(session, handle="ben")}
    review = items[(K.review, case.reviews[0])]
    assert review.line == f"{case.reviews[0]}: record the outcome of the review, round 1."
    assert review.link == f"/console/incidents/{case.reviews[0]}"
    assert review.run_url == "http://127.0.0.1:4200/runs/flow-run/run-1"
    text = items[(K.text, case.statement)]
    assert text.line == f"{case.statement}: write the public statement; two members sign it off."
    signoff = items[(K.signoff, case.signoff)]
    assert signoff.link == f"/console/incidents/{case.signoff}#decision-{case.decision_id}"
    assert signoff.run_url == "http://127.0.0.1:4200/runs/flow-run/run-2"
    assert "1 of 2 approvals" in signoff.line


def test_the_announced_step_counts_members_and_says_what_comes_next(case: Case) -> None:
    with db.session_scope() as session:
        incident = get_incident(session, case.reviews[0])
        found = waiting.find_step(session, incident, f"review-{case.reviews[0].lower()}-1")
        assert found is not None and found.waiting == 4  # five members, dev conflicted
        assert waiting.find_step(session, incident, "review-x-9") is None
        pending = get_incident(session, case.signoff)
        assert waiting.next_step(session, pending) == "sign-off of the review outcome"


def test_nothing_waits_once_an_incident_is_closed(case: Case) -> None:
    with db.session_scope() as session:
        for code in (*case.reviews, case.statement, case.signoff):
            get_incident(session, code).status = IncidentStatus.closed
    assert _mine("ben") == []
