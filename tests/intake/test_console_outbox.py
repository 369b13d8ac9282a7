"""The console's outbox: members read what CARE sent, newest first; every reading is audited."""

from __future__ import annotations

import json

import pytest

from models import db
from record import outbox
from record.incidents import get_incident
from tests.support.console_case import Case, audit_entries, console_case
from tests.support.seed import SECRETS


@pytest.fixture
def case(care_db: str) -> Case:
    case = console_case()
    with db.session_scope() as session:
        incident = get_incident(session, case.code)
        urgent = get_incident(session, case.urgent_code)
        outbox.queue(
            session,
            channel="email",
            purpose="inform_reporter",
            recipient=SECRETS["reporter_email"],
            subject=f"Your report to the CARE team ({incident.code})",
            body="Thank you for telling us. We spoke with the person you reported.",
            idempotency_key="inform-test",
            incident=incident,
        )
        outbox.queue(
            session,
            channel="sms",
            purpose="page",
            recipient=SECRETS["member_phone"],  # ana's phone
            body=f"CARE: urgent case {urgent.code}. Reply ACK {urgent.code}.",
            idempotency_key="page-test",
            incident=urgent,
        )
    return case


def test_a_member_reads_every_message_newest_first(case: Case) -> None:
    client = case.client("ben")
    home = client.get("/console/")
    assert 'href="/console/outbox"' in home.text  # linked from the navigation
    page = client.get("/console/outbox")
    assert page.status_code == 200
    text = page.text
    assert text.index("Reply ACK") < text.index("We spoke with the person you reported")
    assert "SMS" in text and "<dd>ana</dd>" in text and case.urgent_code in text
    assert "E-mail" in text and f"the reporter, {SECRETS['reporter_email']}" in text
    assert f"Your report to the CARE team ({case.code})" in text
    assert "GMT" in text or "IST" in text  # in the event's time zone, Europe/Dublin
    assert "2 messages shown, newest first" in text


def test_the_filter_shows_one_case_and_each_reading_is_audited(case: Case) -> None:
    client = case.client("ben")
    page = client.get("/console/outbox", params={"incident": case.urgent_code})
    assert page.status_code == 200
    assert "Reply ACK" in page.text and "We spoke with the person" not in page.text
    client.get("/console/outbox")
    readings = audit_entries("outbox.view")
    assert [(r.actor, r.incident_code) for r in readings] == [
        ("ben", case.urgent_code),
        ("ben", None),
    ]
    assert json.loads(readings[0].detail) == {
        "incident": case.urgent_code,
        "limit": 200,
        "shown": 1,
        "via": "console",
    }
    missing = client.get("/console/outbox", params={"incident": "DCE26-999"})
    assert missing.status_code == 404 and "There is no incident" in missing.text


def test_a_conflicted_member_does_not_see_that_cases_messages(case: Case) -> None:
    client = case.client("dev")  # dev declared a conflict on case.code
    page = client.get("/console/outbox")
    assert page.status_code == 200
    assert "Reply ACK" in page.text
    assert SECRETS["reporter_email"] not in page.text and "We spoke with" not in page.text
    refused = client.get("/console/outbox", params={"incident": case.code})
    assert refused.status_code == 403 and SECRETS["reporter_email"] not in refused.text


def test_signing_in_is_required(case: Case) -> None:
    from fastapi.testclient import TestClient

    response = TestClient(case.app).get("/console/outbox", follow_redirects=False)
    assert response.status_code == 303 and "/console/sign-in" in response.headers["location"]
