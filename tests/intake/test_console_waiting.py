""" "Waiting for me" in the console: every step waiting on the member, with its links."""

from __future__ import annotations

import pytest

from models import db
from policy.status import IncidentStatus
from record.incidents import get_incident
from tests.support.console import console_app, signed_in
from tests.support.waiting_case import Case, waiting_case

NOTHING = "Nothing is waiting for you right now."


@pytest.fixture
def case(care_db: str) -> Case:
    return waiting_case()


def _page(case: Case, handle: str) -> str:
    app, _config = console_app()
    page = signed_in(app, handle, case.totp[handle]).get("/console/")
    assert page.status_code == 200
    return page.text


def test_reviews_a_text_to_write_and_a_sign_off_are_all_listed(case: Case) -> None:
    page = _page(case, "ben")
    assert NOTHING not in page
    assert "Reviews to give" in page and "Texts to write" in page
    assert "Sign-offs you can give" in page
    for code in case.reviews:
        assert f"{code}: record the outcome of the review, round 1." in page
        assert f'href="/console/incidents/{code}"' in page
    assert f"{case.statement}: write the public statement" in page
    assert f"/console/incidents/{case.signoff}#decision-{case.decision_id}" in page


def test_a_conflicted_member_sees_only_what_waits_on_them(case: Case) -> None:
    page = _page(case, "dev")
    assert f"{case.reviews[1]}: record the outcome" in page
    assert f"{case.reviews[0]}: record the outcome" not in page
    assert f"#decision-{case.decision_id}" not in page


def test_nothing_waiting_is_said_only_when_nothing_waits(case: Case) -> None:
    with db.session_scope() as session:
        for code in (*case.reviews, case.statement, case.signoff):
            get_incident(session, code).status = IncidentStatus.closed
    assert NOTHING in _page(case, "ben")
