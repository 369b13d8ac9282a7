"""Twilio webhooks: "ACK <code>" by SMS from a member's phone, and delivery status callbacks.

Requests are signed with Twilio's own RequestValidator over the public URL; nothing
unsigned is ever accepted, not even when no auth token is configured.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from intake.app import create_app
from models import db
from models.settings import get_settings
from models.tables import AuditEntry, Incident, Message, Page
from record.incidents import declare_conflict, get_incident
from record.members import get_member
from record.urgent_pages import add_page, mark_page
from tests.support.escalation import PHONES, audit_actions, first_responder, urgent_incident
from tests.support.fake_twilio import TOKEN, fake_twilio, use_fake_twilio
from tests.support.seed import seed_report

PUBLIC = "https://care.example.org"
STEPS = [{"target": "primary", "wait_s": 60}]


@pytest.fixture
def client(care_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with fake_twilio() as fake:
        use_fake_twilio(monkeypatch, fake, public_url=PUBLIC)
        yield TestClient(create_app())
    get_settings.cache_clear()


def post(
    client: TestClient,
    path: str,
    params: dict[str, str],
    *,
    token: str | None = TOKEN,
    signed_url: str | None = None,
) -> httpx.Response:
    headers = {}
    if token is not None:
        url = signed_url or PUBLIC + path
        headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(url, params)
    return client.post(path, data=params, headers=headers)


def sms(frm: str, body: str, sid: str = "SM" + "a" * 32) -> dict[str, str]:
    return {"MessageSid": sid, "From": frm, "To": "+15005550006", "Body": body}


def page(code: str, handle: str, provider_id: str | None = None, round_index: int = 0) -> int:
    with db.session_scope() as session:
        incident = get_incident(session, code)
        row, _created = add_page(
            session, incident, get_member(session, handle), round_index=round_index, channel="sms"
        )
        if provider_id:
            mark_page(session, row, "sent", provider_id=provider_id)
        return row.id


def test_ack_with_the_code_makes_the_member_first_responder(client: TestClient) -> None:
    urgent = urgent_incident(STEPS)
    response = post(client, "/twilio/sms", sms(PHONES["ben"], f"ack {urgent.code}"))
    assert response.status_code == 200
    assert f"ACK {urgent.code}: you are the first responder." in response.text
    assert first_responder(urgent.code) == "ben"
    assert ("ben", "page.ack", '{"channel":"sms","first":true}') in audit_actions(urgent.code)


def test_a_repeated_delivery_is_handled_once(client: TestClient) -> None:
    urgent = urgent_incident(STEPS)
    params = sms(PHONES["ben"], f"ACK {urgent.code}")
    post(client, "/twilio/sms", params)
    again = post(client, "/twilio/sms", params)
    assert again.status_code == 200
    assert "<Message>" not in again.text
    acks = [a for _actor, a, _d in audit_actions(urgent.code) if a == "page.ack"]
    assert acks == ["page.ack"]


@pytest.mark.parametrize(
    ("token", "signed_url"),
    [
        pytest.param(None, None, id="unsigned"),
        pytest.param("another-token", None, id="signed with another token"),
        pytest.param(TOKEN, "http://testserver/twilio/sms", id="signed for the internal URL"),
    ],
)
def test_requests_not_signed_by_twilio_are_refused(
    client: TestClient, token: str | None, signed_url: str | None
) -> None:
    urgent = urgent_incident(STEPS)
    params = sms(PHONES["ben"], f"ACK {urgent.code}")
    response = post(client, "/twilio/sms", params, token=token, signed_url=signed_url)
    assert response.status_code == 403
    assert first_responder(urgent.code) is None


def test_without_an_auth_token_everything_is_refused(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    urgent = urgent_incident(STEPS)
    monkeypatch.delenv("CARE_TWILIO_AUTH_TOKEN")
    get_settings.cache_clear()
    for token in ("", TOKEN):
        params = sms(PHONES["ben"], f"ACK {urgent.code}", sid=f"SM{token}x")
        assert post(client, "/twilio/sms", params, token=token).status_code == 403
        status = {"MessageSid": "SM1", "MessageStatus": "failed"}
        assert post(client, "/twilio/status", status, token=token).status_code == 403
    assert first_responder(urgent.code) is None


def test_an_unknown_number_learns_nothing_and_is_logged_without_it(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    urgent = urgent_incident(STEPS)
    stranger = "+353871112223"
    with caplog.at_level(logging.INFO, logger="care"):
        response = post(client, "/twilio/sms", sms(stranger, f"ACK {urgent.code}"))
    assert response.status_code == 200
    assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    assert first_responder(urgent.code) is None
    assert "no member" in caplog.text and stranger not in caplog.text
    with db.session_scope() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "sms.unknown_sender"))
        assert entry is not None and entry.detail == "{}"


def test_a_plain_ack_counts_for_the_one_open_page(client: TestClient) -> None:
    urgent = urgent_incident(STEPS)
    page(urgent.code, "ana")
    response = post(client, "/twilio/sms", sms(PHONES["ana"], "ACK"))
    assert f"ACK {urgent.code}: you are the first responder." in response.text
    assert first_responder(urgent.code) == "ana"


def test_a_plain_ack_with_two_open_pages_asks_for_the_code(client: TestClient) -> None:
    urgent = urgent_incident(STEPS)
    with db.session_scope() as session:
        other = seed_report(session, message_id="web-urgent-2", urgent=True)
    page(urgent.code, "ana")
    page(other, "ana")
    response = post(client, "/twilio/sms", sms(PHONES["ana"], "Ack."))
    assert f"Open pages: {urgent.code}, {other}." in response.text
    assert first_responder(urgent.code) is None and first_responder(other) is None


def test_a_conflicted_member_s_ack_does_not_count(client: TestClient) -> None:
    urgent = urgent_incident(STEPS)
    with db.session_scope() as session:
        declare_conflict(session, get_incident(session, urgent.code), "chloe")
    response = post(client, "/twilio/sms", sms(PHONES["chloe"], f"ACK {urgent.code}"))
    assert (
        "not counted: you are not allowed to answer because you declared a conflict"
        in response.text
    )
    assert first_responder(urgent.code) is None
    with db.session_scope() as session:
        assert get_incident(session, urgent.code).urgent_acknowledged_at is None


def test_status_callbacks_update_the_page_and_never_go_backwards(client: TestClient) -> None:
    urgent = urgent_incident(STEPS)
    page_id = page(urgent.code, "ana", provider_id="SM" + "1" * 32)
    for status in ("delivered", "sent"):
        params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": status}
        assert post(client, "/twilio/status", params).status_code == 204
    with db.session_scope() as session:
        assert session.get(Page, page_id).status == "delivered"  # type: ignore[union-attr]
    statuses = [d for _a, action, d in audit_actions(urgent.code) if action == "page.status"]
    assert statuses[-1] == '{"channel":"sms","error":null,"page":1,"status":"delivered"}'


def test_an_undelivered_sms_falls_back_to_slack_and_email(client: TestClient) -> None:
    urgent = urgent_incident(STEPS)
    page_id = page(urgent.code, "ben", provider_id="SM" + "2" * 32)
    params = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert post(client, "/twilio/status", params).status_code == 204
    with db.session_scope() as session:
        row = session.get(Page, page_id)
        assert row is not None
        assert (row.status, row.error) == ("undelivered", "provider undelivered code 30003")
        incident = session.scalar(select(Incident).where(Incident.code == urgent.code))
        assert incident is not None
        others = session.scalars(select(Page).where(Page.channel != "sms"))
        assert {(p.channel, p.status) for p in others} == {("slack", "outbox"), ("email", "outbox")}
        messages = session.scalars(select(Message).where(Message.channel != "sms"))
        assert {m.recipient for m in messages} == {"UBEN", "ben@example.org"}


def test_a_callback_without_its_fields_is_a_clear_400(client: TestClient) -> None:
    response = post(client, "/twilio/status", {"MessageStatus": "sent"})
    assert response.status_code == 400
    assert "MessageSid" in response.json()["detail"]
