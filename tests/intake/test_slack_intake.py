"""Slack intake as a reporter and the team rely on it: signed requests only, one report per
submission, and a click counts only for an active, non-conflicted member."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from adapters import notices
from intake.app import create_app
from models import db
from models.tables import Approval, Incident, Message, Report
from policy.signoff import DecisionKind
from record import decisions as svc
from record.incidents import declare_conflict, get_incident
from record.members import deactivate
from tests.support import slack_requests as sr
from tests.support.fake_slack import TEAM_CHANNEL, FakeSlack, running_fake_slack, slack_configured
from tests.support.seed import SECRETS, seed_report, seed_team


@dataclass
class Slack:
    fake: FakeSlack
    client: TestClient

    def post(self, path: str, body: bytes, content_type: str, **sign: Any) -> Any:
        headers = sr.signed(body, content_type=content_type, **sign)
        return self.client.post(f"/slack/{path}", content=body, headers=headers)

    def interact(self, payload: dict[str, Any], **sign: Any) -> Any:
        return self.post("interactivity", sr.interaction_body(payload), sr.FORM, **sign)

    def event(self, payload: dict[str, Any], **sign: Any) -> Any:
        return self.post("events", json.dumps(payload).encode(), "application/json", **sign)

    def response_url(self, name: str = "r1") -> str:
        return f"{self.fake.base_url}/response/{name}"

    def private_replies(self) -> list[str]:
        urls = [c.args.get("text", "") for c in self.fake.of("response_url")]
        return urls + [c.args.get("text", "") for c in self.fake.of("chat.postEphemeral")]


def _running() -> Iterator[Slack]:
    with db.session_scope() as session:
        seed_team(session)
    with running_fake_slack() as fake, slack_configured(fake), TestClient(create_app()) as client:
        yield Slack(fake, client)


@pytest.fixture
def slack(care_db: str) -> Iterator[Slack]:
    """Slack intake on SQLite and PostgreSQL: for what the record must get right."""
    yield from _running()


@pytest.fixture
def slack_http(sqlite_care: str) -> Iterator[Slack]:
    """Slack intake on SQLite only: for the HTTP protocol (signatures, payload shapes)."""
    yield from _running()


def _count(model: type) -> int:
    with db.session_scope() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _posted_to(channel: str, slack: Slack) -> list[dict[str, Any]]:
    return [c.args for c in slack.fake.of("chat.postMessage") if c.args["channel"] == channel]


def _sent_by_purpose() -> dict[str, list[str]]:
    """Each outgoing message's status, by purpose ("acknowledgement", "team_notice", ...)."""
    with db.session_scope() as session:
        found: dict[str, list[str]] = {}
        for message in session.scalars(select(Message).order_by(Message.id)):
            found.setdefault(message.purpose, []).append(message.status)
        return found


def _decision() -> tuple[str, int]:
    with db.session_scope() as session:
        incident = get_incident(session, seed_report(session))
        decision = svc.propose(
            session,
            kind=DecisionKind.review_outcome,
            summary="violation: yes; stop_behaviour",
            proposer="ana",
            incident=incident,
        )
        return incident.code, decision.id


# --- reports ---------------------------------------------------------------------------


def test_the_slash_command_opens_the_report_form(slack_http: Slack) -> None:
    reply = slack_http.post("commands", sr.form_body(sr.slash_command(trigger="T-42")), sr.FORM)
    assert reply.status_code == 200
    [call] = slack_http.fake.of("views.open")
    assert call.args["trigger_id"] == "T-42"
    assert call.args["view"]["callback_id"] == "care_report"


def test_the_message_shortcut_keeps_the_reported_message(slack: Slack) -> None:
    shortcut = sr.message_shortcut(user="UREPORTER", channel="CGEN", ts="171.0001", text="rude")
    assert slack.interact(shortcut).status_code == 200
    view = slack.fake.of("views.open")[0].args["view"]
    origin = json.loads(view["private_metadata"])
    assert (origin["channel"], origin["ts"], origin["text"]) == ("CGEN", "171.0001", "rude")
    reply = slack.interact(
        sr.submission(user="UREPORTER", private_metadata=view["private_metadata"])
    )
    assert reply.json()["response_action"] == "update"
    with db.session_scope() as session:
        [report] = session.scalars(select(Report)).all()
        [attachment] = report.attachments
        assert attachment.content is not None and b"rude" in attachment.content


def test_a_submission_delivered_twice_is_one_report(slack: Slack) -> None:
    payload = sr.submission(user="UREPORTER", view_id="VTWICE", narrative=SECRETS["narrative"])
    first = slack.interact(payload)
    second = slack.interact(payload, age_s=-1)  # delivered again: signed anew
    assert first.status_code == second.status_code == 200
    assert "Thank you" in json.dumps(first.json()) and "already has" in json.dumps(second.json())
    assert _count(Report) == 1 and _count(Incident) == 1
    with db.session_scope() as session:
        report = session.scalars(select(Report)).one()
        assert (report.channel, report.reporter_contact, report.contact_kind) == (
            "slack",
            "UREPORTER",
            "slack",
        )
        assert report.consent_to_contact and report.narrative == SECRETS["narrative"]
    # the reporter is thanked once and the team hears of it once, without details
    [ack] = _posted_to("UREPORTER", slack)
    [notice] = _posted_to(TEAM_CHANNEL, slack)
    assert "DCE26-1" in ack["text"] and "DCE26-1" in notice["text"]
    assert len(slack.fake.of("chat.postMessage")) == 2
    assert _sent_by_purpose() == {"acknowledgement": ["sent"], "team_notice": ["sent"]}
    assert SECRETS["narrative"] not in slack.fake.everything_sent()


def test_someone_in_danger_makes_the_report_urgent(slack: Slack) -> None:
    slack.interact(sr.submission(user="UREPORTER", danger=True))
    with db.session_scope() as session:
        assert session.scalars(select(Incident)).one().urgent
    [notice] = _posted_to(TEAM_CHANNEL, slack)
    assert "URGENT" in notice["text"]
    buttons = [e["action_id"] for b in notice["blocks"] for e in b.get("elements", [])]
    assert notices.ACK in buttons  # the team can take it from the notice


def test_a_member_passing_a_report_on_is_recorded_as_relaying_it(slack: Slack) -> None:
    payload = sr.submission(
        user="UBEN", on_behalf=True, their_email="friend@example.net", their_consent=True
    )
    assert slack.interact(payload).json()["response_action"] == "update"
    with db.session_scope() as session:
        report = session.scalars(select(Report)).one()
        assert report.relayed_by_id is not None
        assert (report.reporter_contact, report.contact_kind) == ("friend@example.net", "email")
        assert report.consent_to_contact


def test_a_bad_email_keeps_the_form_open_with_a_message(slack_http: Slack) -> None:
    payload = sr.submission(user="UBEN", on_behalf=True, their_email="not an address")
    answer = slack_http.interact(payload).json()
    assert answer["response_action"] == "errors" and "for_email" in answer["errors"]
    assert _count(Report) == 0


# --- verification ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "sign",
    [{"secret": "someone-elses-secret"}, {"age_s": 6 * 60}, {"age_s": -6 * 60}],
    ids=["forged", "stale", "future"],
)
def test_unsigned_forged_and_stale_requests_are_refused(
    slack_http: Slack, sign: dict[str, Any]
) -> None:
    reply = slack_http.interact(sr.submission(user="UREPORTER"), **sign)
    assert reply.status_code == 401
    assert _count(Report) == 0 and slack_http.fake.calls == []


def test_a_garbled_signature_header_is_a_401_not_a_500(slack_http: Slack) -> None:
    for body, headers in (
        (b"x=1", {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}),
        (b"x=1", {"Content-Type": sr.FORM}),
        (b"payload=\xff\xfe", sr.signed_raw(b"payload=\xff\xfe")),  # not UTF-8: unverifiable
    ):
        assert (
            slack_http.client.post("/slack/commands", content=body, headers=headers).status_code
            == 401
        )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("interactivity", b"payload=not-json"),
        ("interactivity", b"no_payload=1"),
        ("interactivity", sr.form_body({"payload": json.dumps({"type": "block_actions"})})),
        ("commands", sr.form_body({"user_id": "U1"})),
        ("events", b"[1, 2]"),
        ("events", b"{not json"),
    ],
)
def test_bad_payloads_get_400(slack_http: Slack, path: str, body: bytes) -> None:
    assert slack_http.post(path, body, sr.FORM).status_code == 400


def test_without_a_signing_secret_slack_is_refused(
    slack_http: Slack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.settings import get_settings

    monkeypatch.delenv("CARE_SLACK_SIGNING_SECRET")
    get_settings.cache_clear()
    assert slack_http.interact(sr.submission(user="UREPORTER")).status_code == 503


# --- buttons ---------------------------------------------------------------------------


def test_a_members_approval_counts_and_is_announced(slack: Slack) -> None:
    code, decision_id = _decision()
    click = sr.click(
        notices.APPROVE, str(decision_id), user="UBEN", response_url=slack.response_url()
    )
    assert slack.interact(click).status_code == 200
    with db.session_scope() as session:
        assert svc.get_decision(session, decision_id).status == "approved"
    [reply] = slack.private_replies()
    assert "counted" in reply
    [announcement] = slack.fake.of("chat.postMessage")
    assert "ben approved" in announcement.args["text"] and code in announcement.args["text"]


def test_a_conflicted_members_approval_does_not_count(slack: Slack) -> None:
    code, decision_id = _decision()
    conflict = sr.click(notices.CONFLICT, code, user="UBEN", response_url=slack.response_url())
    slack.interact(conflict)
    slack.interact(sr.click(notices.APPROVE, str(decision_id), user="UBEN"))
    with db.session_scope() as session:
        decision = svc.get_decision(session, decision_id)
        assert decision.status == "pending"
        assert [(a.claimed_handle, a.counted, a.refusal) for a in decision.approvals] == [
            ("ben", False, "conflicted")
        ]
    replies = slack.private_replies()
    assert "Conflict recorded" in replies[0] and "conflict of interest" in replies[1]
    assert slack.fake.of("chat.postMessage") == []  # nothing counted, nothing announced


def test_a_click_by_someone_who_is_not_a_member_counts_for_nothing(slack: Slack) -> None:
    _code, decision_id = _decision()
    slack.interact(sr.click(notices.APPROVE, str(decision_id), user="UMALLORY"))
    assert _count(Approval) == 0
    [ephemeral] = slack.fake.of("chat.postEphemeral")
    assert (
        ephemeral.args["user"] == "UMALLORY" and "not a CARE team member" in ephemeral.args["text"]
    )


def test_an_inactive_members_objection_does_not_count(slack: Slack) -> None:
    _code, decision_id = _decision()
    with db.session_scope() as session:
        deactivate(session, "chloe")
    slack.interact(sr.click(notices.OBJECT, str(decision_id), user="UCHLOE"))
    with db.session_scope() as session:
        decision = svc.get_decision(session, decision_id)
        assert decision.status == "pending"
        assert [a.refusal for a in decision.approvals] == ["inactive"]


def test_a_member_can_acknowledge_an_urgent_case_but_a_stranger_cannot(slack: Slack) -> None:
    with db.session_scope() as session:
        code = seed_report(session, urgent=True)
    slack.interact(sr.click(notices.ACK, code, user="UMALLORY"))
    with db.session_scope() as session:
        assert get_incident(session, code).first_responder_id is None
    slack.interact(sr.click(notices.ACK, code, user="UDEV"))
    with db.session_scope() as session:
        incident = get_incident(session, code)
        assert incident.first_responder_id is not None
        assert incident.first_responder_id == _member_id(session, "dev")
    assert "first responder" in slack.private_replies()[-1]


def _member_id(session: Any, handle: str) -> int:
    from record.members import get_member

    return get_member(session, handle).id


def test_a_conflicted_member_cannot_acknowledge(slack: Slack) -> None:
    with db.session_scope() as session:
        code = seed_report(session, urgent=True)
        declare_conflict(session, get_incident(session, code), "dev")
    slack.interact(sr.click(notices.ACK, code, user="UDEV"))
    with db.session_scope() as session:
        assert get_incident(session, code).first_responder_id is None


def test_a_button_for_an_unknown_case_is_explained_not_crashed(slack_http: Slack) -> None:
    reply = slack_http.interact(sr.click(notices.ACK, "XYZ-99", user="UDEV"))
    assert reply.status_code == 200
    assert "Nothing was recorded" in slack_http.private_replies()[0]


# --- events ----------------------------------------------------------------------------


def test_url_verification_echoes_the_challenge(slack_http: Slack) -> None:
    reply = slack_http.event({"type": "url_verification", "challenge": "c-123", "token": "x"})
    assert reply.json() == {"challenge": "c-123"}


def test_a_retried_event_is_handled_once(slack: Slack) -> None:
    dm = {"type": "message", "channel_type": "im", "user": "UREPORTER", "text": "help", "ts": "1.2"}
    for attempt in range(3):  # each retry is signed anew (the same bytes again get 409)
        assert slack.event(sr.event("Ev001", dm), age_s=-attempt).status_code == 200
    [hint] = slack.fake.of("chat.postMessage")
    assert hint.args["channel"] == "UREPORTER" and "help" not in hint.args["text"]
    bot_echo = {**dm, "bot_id": "B1"}
    slack.event(sr.event("Ev002", bot_echo))
    assert len(slack.fake.of("chat.postMessage")) == 1  # the app never answers itself
