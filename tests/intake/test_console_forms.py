"""Console forms at their edges: event-wide sign-offs, guessing codes, links from Prefect."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from models import db
from policy.signoff import DecisionKind
from record import decisions as decision_svc
from record.events import get_event
from record.incidents import get_incident
from tests.support.console import console_app, csrf, next_code, signed_in
from tests.support.seed import seed_report, seed_team


@pytest.fixture
def decisions(care_db: str) -> tuple[TestClient, int, int, dict[str, str]]:
    with db.session_scope() as session:
        seeded = seed_team(session, team=("ana", "ben", "chloe"))
        incident = get_incident(session, seed_report(session))
        on_incident = decision_svc.propose(
            session, kind=DecisionKind.other, summary="x", proposer="ana", incident=incident
        )
        event_wide = decision_svc.propose(
            session,
            kind=DecisionKind.transparency_report,
            summary="transparency report 2026",
            proposer="ana",
            event_id=get_event(session, "dce26").id,
        )
        ids = on_incident.id, event_wide.id
    app, _ = console_app()
    return signed_in(app, "ben", seeded.totp["ben"]), ids[0], ids[1], seeded.totp


def test_an_event_wide_signoff_is_answered_from_the_waiting_page(
    decisions: tuple[TestClient, int, int, dict[str, str]],
) -> None:
    client, _on_incident, event_wide, secrets = decisions
    waiting = client.get("/console/").text
    assert f'action="/console/decisions/{event_wide}/answer"' in waiting
    response = client.post(
        f"/console/decisions/{event_wide}/answer",
        data={"verdict": "approve", "code": next_code(secrets["ben"]), "csrf": csrf(client)},
    )
    assert response.status_code == 200 and "Your approval is counted" in response.text
    with db.session_scope() as session:
        state = decision_svc.state(session, decision_svc.get_decision(session, event_wide))
        assert state.approvers == ["ana", "ben"] and state.status == "approved"


def test_guessing_approval_codes_is_limited(
    decisions: tuple[TestClient, int, int, dict[str, str]],
) -> None:
    client, decision_id, _event_wide, secrets = decisions
    token = csrf(client)
    for _ in range(4):  # the sign-in was the first of five attempts
        answer = client.post(
            f"/console/decisions/{decision_id}/answer",
            data={"verdict": "approve", "code": "000000", "csrf": token},
        )
        assert answer.status_code == 400
    limited = client.post(
        f"/console/decisions/{decision_id}/answer",
        data={"verdict": "approve", "code": next_code(secrets["ben"]), "csrf": token},
    )
    assert limited.status_code == 429 and "Too many codes" in limited.text
    with db.session_scope() as session:
        assert decision_svc.get_decision(session, decision_id).status == "pending"


def test_a_verdict_must_be_approve_or_object(
    decisions: tuple[TestClient, int, int, dict[str, str]],
) -> None:
    client, decision_id, _event_wide, _secrets = decisions
    response = client.post(
        f"/console/decisions/{decision_id}/answer",
        data={"verdict": "maybe", "code": "123456", "csrf": csrf(client)},
    )
    assert response.status_code == 400 and "Choose approve or object" in response.text


def test_a_decision_link_leads_to_its_place_in_the_record(
    decisions: tuple[TestClient, int, int, dict[str, str]],
) -> None:
    client, decision_id, event_wide, _secrets = decisions
    to_record = client.get(f"/console/decisions/{decision_id}", follow_redirects=False)
    assert to_record.headers["location"].endswith(f"-1#decision-{decision_id}")
    to_waiting = client.get(f"/console/decisions/{event_wide}", follow_redirects=False)
    assert to_waiting.headers["location"] == f"/console/#decision-{event_wide}"
    assert client.get("/console/decisions/999").status_code == 404


def test_the_stylesheet_is_served_without_signing_in(care_db: str) -> None:
    app, _ = console_app()
    css = TestClient(app).get("/console/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "min-height: 48px" in css.text  # big tap targets
