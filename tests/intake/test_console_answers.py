"""A member's answers in the console: approve, object, declare a conflict, acknowledge."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import db
from models.tables import Message
from record import decisions as decision_svc
from record.incidents import get_incident
from tests.support.console import csrf, next_code
from tests.support.console_case import Case, console_case
from tests.support.seed import SECRETS


@pytest.fixture
def case(care_db: str) -> Case:
    return console_case()


def test_approve_a_decision_counts_with_the_policy(case: Case) -> None:
    client = case.client("ben")
    response = client.post(
        f"/console/decisions/{case.decision_id}/answer",
        data={"verdict": "approve", "code": next_code(case.totp["ben"]), "csrf": csrf(client)},
    )
    assert response.status_code == 200 and "Your approval is counted" in response.text
    with db.session_scope() as session:
        decision = decision_svc.get_decision(session, case.decision_id)
        state = decision_svc.state(session, decision)
        assert state.status == "approved" and state.approvers == ["ana", "ben"]
        assert [(a.claimed_handle, a.channel, a.counted) for a in decision.approvals] == [
            ("ben", "console", True)
        ]
        key = f"notice:approval:{decision.approvals[0].id}"
        notice = session.scalars(select(Message).where(Message.idempotency_key == key)).one()
    assert notice.purpose == "team_notice" and "ben" in notice.body  # seen by the team at once
    assert not any(secret in notice.body for secret in SECRETS.values())


def test_a_wrong_code_is_refused_and_recorded(case: Case) -> None:
    client = case.client("ben")
    response = client.post(
        f"/console/decisions/{case.decision_id}/answer",
        data={"verdict": "approve", "code": "000000", "csrf": csrf(client)},
    )
    assert response.status_code == 400 and "The code was not right" in response.text
    with db.session_scope() as session:
        decision = decision_svc.get_decision(session, case.decision_id)
        assert decision.status == "pending"
        assert [(a.counted, a.refusal) for a in decision.approvals] == [(False, "bad_code")]


def test_the_code_used_to_sign_in_cannot_approve(case: Case) -> None:
    from fastapi.testclient import TestClient

    from tests.support.console import code_now, sign_in

    client = TestClient(case.app)
    code = code_now(case.totp["ben"])  # the very code: "now" may be the next step by then
    assert sign_in(client, "ben", code).status_code == 303
    response = client.post(
        f"/console/decisions/{case.decision_id}/answer",
        data={"verdict": "approve", "code": code, "csrf": csrf(client)},
    )
    assert response.status_code == 400 and "already used" in response.text


def test_an_objection_sends_the_decision_back(case: Case) -> None:
    client = case.client("chloe")
    response = client.post(
        f"/console/decisions/{case.decision_id}/answer",
        data={
            "verdict": "object",
            "code": next_code(case.totp["chloe"]),
            "comment": "We have not heard P1 yet.",
            "csrf": csrf(client),
        },
    )
    assert response.status_code == 200 and "goes back to its proposer" in response.text
    with db.session_scope() as session:
        decision = decision_svc.get_decision(session, case.decision_id)
        assert (decision.status, decision.objection) == ("objected", "We have not heard P1 yet.")


def test_a_conflicted_member_cannot_answer(case: Case) -> None:
    client = case.client("dev")
    response = client.post(
        f"/console/decisions/{case.decision_id}/answer",
        data={"verdict": "approve", "code": next_code(case.totp["dev"]), "csrf": csrf(client)},
    )
    assert response.status_code == 403
    with db.session_scope() as session:
        assert decision_svc.get_decision(session, case.decision_id).approvals == []


def test_declaring_a_conflict_hides_the_record_and_stops_the_approval(case: Case) -> None:
    client = case.client("eve")
    assert f"#decision-{case.decision_id}" in client.get("/console/").text
    response = client.post(f"/console/incidents/{case.code}/conflict", data={"csrf": csrf(client)})
    assert response.status_code == 200 and "Your conflict is recorded" in response.text
    assert SECRETS["narrative"] not in response.text
    assert f"#decision-{case.decision_id}" not in client.get("/console/").text
    with db.session_scope() as session:
        state = decision_svc.state(session, decision_svc.get_decision(session, case.decision_id))
        assert "eve" not in state.eligible


def test_waiting_for_me(case: Case) -> None:
    ben = case.client("ben").get("/console/").text
    assert f"/console/incidents/{case.code}#decision-{case.decision_id}" in ben
    assert f"/console/incidents/{case.urgent_code}/acknowledge" in ben
    assert f"#conversation-{case.conversation_id}" in ben
    ana = case.client("ana").get("/console/").text  # she proposed it: nothing to sign
    assert f"#decision-{case.decision_id}" not in ana
    assert f"#conversation-{case.conversation_id}" not in ana
    dev = case.client("dev").get("/console/").text  # conflicted on the first incident
    assert f"#decision-{case.decision_id}" not in dev
    assert f"{case.urgent_code}/acknowledge" in dev


def test_acknowledge_an_urgent_incident(case: Case) -> None:
    client = case.client("chloe")
    response = client.post(
        f"/console/incidents/{case.urgent_code}/acknowledge", data={"csrf": csrf(client)}
    )
    assert response.status_code == 200 and "you are the first responder" in response.text
    with db.session_scope() as session:
        incident = get_incident(session, case.urgent_code)
        assert incident.first_responder_id is not None and incident.first_response_at
    assert f"{case.urgent_code}/acknowledge" not in case.client("ben").get("/console/").text
