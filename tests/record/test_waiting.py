""" "Waiting for me" as the team relies on it: every step waiting on a member, none hidden.

Reviews, a statement text to write and a sign-off wait on the members who may act; a
member with a conflict on an incident is waited on for none of its steps.
"""

from __future__ import annotations

import pytest

from models import db
from policy.status import IncidentStatus
from policy.waiting import StepKind
from record import decisions, waiting
from record.incidents import get_incident
from tests.support.waiting_case import Case, waiting_case

K = StepKind


@pytest.fixture
def case(care_db: str) -> Case:
    return waiting_case()


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
