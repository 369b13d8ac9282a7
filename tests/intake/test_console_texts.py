"""A text CARE drafted is read in the console before it is approved there or anywhere."""

from __future__ import annotations

import pytest

from models import db, totp
from policy.signoff import DecisionKind
from record import decisions as decision_svc
from record.acts.answer import answer_decision
from record.incidents import get_incident
from tests.support.console import csrf, next_code
from tests.support.console_case import Case, audit_entries, console_case

DRAFT = "Dear reporter, the team asked the person to stop. Thank you for telling us."


@pytest.fixture
def case(care_db: str) -> tuple[Case, int]:
    case = console_case()
    with db.session_scope() as session:
        drafted = decision_svc.propose(
            session,
            kind=DecisionKind.reporter_message,
            summary="Send the message CARE drafted to the reporter of report 1",
            proposer=None,
            incident=get_incident(session, case.code),
            body=DRAFT,
        )
        return case, drafted.id


def test_the_decision_page_shows_the_full_text_and_records_the_showing(
    case: tuple[Case, int],
) -> None:
    found, decision_id = case
    page = found.client("ben").get(f"/console/decisions/{decision_id}")
    assert page.status_code == 200
    assert f'id="decision-{decision_id}-text">{DRAFT}</div>' in page.text
    assert "drafted by CARE" in page.text
    [shown] = audit_entries("decision.text.shown")
    assert (shown.actor, shown.incident_code) == ("ben", found.code)
    assert shown.detail == f'{{"decision":{decision_id}}}'


def test_a_member_who_read_it_in_the_console_approves_it(case: tuple[Case, int]) -> None:
    found, decision_id = case
    client = found.client("ben")
    client.get(f"/console/incidents/{found.code}")
    response = client.post(
        f"/console/decisions/{decision_id}/answer",
        data={"verdict": "approve", "code": next_code(found.totp["ben"]), "csrf": csrf(client)},
    )
    assert response.status_code == 200 and "Your approval is counted" in response.text
    with db.session_scope() as session:
        state = decision_svc.state(session, decision_svc.get_decision(session, decision_id))
        assert state.status == "pending" and state.approvers == ["ben"]  # CARE is not one


def test_an_approval_elsewhere_before_reading_is_refused(case: tuple[Case, int]) -> None:
    found, decision_id = case
    with db.session_scope() as session:
        result = answer_decision(
            session,
            decision_id=decision_id,
            handle="chloe",
            verdict="approve",
            channel="cli",
            code=totp.current_code(found.totp["chloe"]),
        )
    assert not result.counted and result.refusal == "text_not_read"


def test_a_conflicted_member_is_not_shown_the_text(case: tuple[Case, int]) -> None:
    found, decision_id = case
    page = found.client("dev").get(f"/console/decisions/{decision_id}")
    assert page.status_code == 200 and DRAFT not in page.text
    assert audit_entries("decision.text.shown") == []
