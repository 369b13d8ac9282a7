"""The web channel: the form a reporter fills in, and POST /reports for JSON clients."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from intake.app import create_app
from models import db
from models.settings import get_settings
from models.tables import Incident, Message, Report
from tests.support.care_db import use_care
from tests.support.seed import seed_team
from tests.support.web import case_code, read_form, submit_form

NARRATIVE = "Someone kept touching my shoulder during the sprint"


@pytest.fixture
def client(care_db: str) -> Iterator[TestClient]:
    with db.session_scope() as session:
        seed_team(session)
    with TestClient(create_app()) as test_client:
        yield test_client


def _count(table: type) -> int:
    with db.session_scope() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def _messages(session: Session, purpose: str) -> list[Message]:
    return list(session.scalars(select(Message).where(Message.purpose == purpose)))


def test_form_is_labelled_and_asks_about_danger(client: TestClient) -> None:
    page = client.get("/report")
    form = read_form(page.text)
    assert page.status_code == 200 and "<script" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "Is anyone in danger right now?" in page.text
    names = {c["name"] for c in form.controls}
    assert {"what_happened", "when", "where", "involved", "witnesses", "contact"} <= names
    assert {"anonymous", "consent_to_contact", "danger"} <= names
    unlabelled = [
        c["name"]
        for c in form.controls
        if c.get("id") not in form.label_for and c["name"] not in form.wrapped
    ]
    assert unlabelled == []
    assert form.hidden["csrf_token"] and form.hidden["idempotency_key"]


def test_form_report_is_stored_once_and_shows_its_code(client: TestClient) -> None:
    page = client.get("/report")
    data = {
        **read_form(page.text).hidden,
        "what_happened": NARRATIVE,
        "where": "Sprint room",
        "contact": "reporter@example.net",
        "consent_to_contact": "yes",
        "danger": "yes",
    }
    first = client.post("/reports", data=data)
    again = client.post("/reports", data=data)  # a double click, a resend after a timeout
    assert first.status_code == again.status_code == 200
    assert case_code(first.text) == case_code(again.text) == "DCE26-1"
    assert "sending a short confirmation" in first.text
    assert _count(Report) == 1
    with db.session_scope() as session:
        report = session.scalars(select(Report)).one()
        assert (report.narrative, report.urgent, report.consent_to_contact) == (
            NARRATIVE,
            True,
            True,
        )
        assert session.scalars(select(Incident)).one().urgent
        [ack] = _messages(session, "acknowledgement")  # one, though the form came twice
        assert (ack.idempotency_key, ack.channel, ack.status) == ("ack-report-1", "email", "outbox")
        assert ack.recipient == "reporter@example.net"
        [notice] = _messages(session, "team_notice")
        assert notice.channel == "slack" and "URGENT" in notice.body
        assert NARRATIVE not in notice.body


def test_anonymous_report_keeps_no_contact_and_gets_its_code_on_the_page(
    client: TestClient,
) -> None:
    status, html = submit_form(
        client, what_happened=NARRATIVE, contact="me@example.net", anonymous="yes"
    )
    assert status == 200 and case_code(html) == "DCE26-1"
    assert "the only place the code is shown" in html
    with db.session_scope() as session:
        report = session.scalars(select(Report)).one()
        assert (report.reporter_contact, report.anonymous) == (None, True)
        assert _messages(session, "acknowledgement") == []  # nobody to write to
        [notice] = _messages(session, "team_notice")  # the team still hears of it
        assert "me@example.net" not in notice.body


def test_forged_token_is_refused_and_the_text_comes_back(client: TestClient) -> None:
    client.get("/report")
    answer = client.post("/reports", data={"what_happened": NARRATIVE, "csrf_token": "forged"})
    assert answer.status_code == 403
    assert NARRATIVE in answer.text and "send it again" in answer.text
    client.cookies.clear()
    status, _ = submit_form(client, what_happened=NARRATIVE)  # a fresh form works
    assert status == 200 and _count(Report) == 1


def test_missing_or_invalid_fields_are_named_and_injection_is_escaped(client: TestClient) -> None:
    status, html = submit_form(client, what_happened="  ")
    assert status == 422 and "What happened" in html
    attack = '<script>alert("x")</script>'
    status, html = submit_form(client, what_happened=attack, contact="not a contact")
    assert status == 422 and "Please give an e-mail address, or a phone number" in html
    assert attack not in html and "&lt;script&gt;" in html
    answer = client.post("/reports", json={"when": "today"})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["what_happened"]
    assert _count(Report) == 0


def test_json_report_with_idempotency_key(client: TestClient) -> None:
    body = {"what_happened": NARRATIVE, "contact": "+353851234599", "consent_to_contact": True}
    headers = {"Idempotency-Key": "client-key-0001"}
    first = client.post("/reports", json=body, headers=headers)
    again = client.post("/reports", json=body, headers=headers)
    changed = {**body, "what_happened": "another thing"}
    other = client.post("/reports", json=changed, headers=headers)
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert first.json() == {"case_code": "DCE26-1", "duplicate": False, "acknowledgement": True}
    assert again.json()["duplicate"] and again.json()["case_code"] == "DCE26-1"
    assert other.json()["case_code"] == "DCE26-2"
    with db.session_scope() as session:
        sms = session.scalars(select(Message).where(Message.channel == "sms")).all()
        assert [m.recipient for m in sms] == ["+353851234599", "+353851234599"]


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"what_happened=%FF%FE", "application/x-www-form-urlencoded", 400),
        (b'{"what_happened": "\xff\xfe"}', "application/json", 422),
        (b'{"what_happened": "\\ud800"}', "application/json", 422),
        (b"{not json", "application/json", 422),
        (b"what_happened=hi", "text/plain", 415),
        (b"x" * (300 * 1024), "application/json", 413),
    ],
)
def test_bad_bodies_get_a_clear_4xx(
    client: TestClient, content: bytes, content_type: str, status: int
) -> None:
    answer = client.post("/reports", content=content, headers={"Content-Type": content_type})
    assert answer.status_code == status
    assert answer.text.strip() and _count(Report) == 0


def test_too_many_reports_from_one_address(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARE_INTAKE_RATE_LIMIT", "2/minute")
    get_settings.cache_clear()
    with TestClient(create_app()) as limited:
        codes = [
            limited.post("/reports", json={"what_happened": f"report {i}"}).status_code
            for i in range(3)
        ]
    assert codes == [201, 201, 429]
    assert _count(Report) == 2


def test_when_the_database_is_down_the_form_comes_back_with_the_text(
    client: TestClient, care_db: str, tmp_path: Path
) -> None:
    key = os.environ["CARE_ENCRYPTION_KEY"]
    page = client.get("/report")
    data = {**read_form(page.text).hidden, "what_happened": NARRATIVE}
    use_care(tmp_path, "postgresql+psycopg://care@127.0.0.1:9/down", key)
    down = client.post("/reports", data=data)
    assert down.status_code == 503 and NARRATIVE in down.text and "again" in down.text
    assert read_form(down.text).hidden["idempotency_key"] == data["idempotency_key"]
    use_care(tmp_path, care_db, key)
    status, html = submit_form(client, what_happened=NARRATIVE)
    assert status == 200 and case_code(html) == "DCE26-1"


def test_a_malformed_idempotency_key_is_named(client: TestClient) -> None:
    answer = client.post(
        "/reports", json={"what_happened": NARRATIVE}, headers={"Idempotency-Key": "x"}
    )
    assert answer.status_code == 422 and "Idempotency-Key" in answer.json()["detail"]
