"""The escalate-incident flow against a real Prefect server and the real twilio client.

Steps of one or two seconds (Event.escalation_policy) prove order and timing; the fake
Twilio API records when each SMS request arrived.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import db
from models.settings import get_settings
from models.tables import Member, Message, Page
from record.incidents import declare_conflict, get_incident
from record.urgent_pages import add_page, mark_page
from tests.support.escalation import (
    HANDLES,
    PHONES,
    ack,
    audit_actions,
    paged,
    pages,
    start_flow,
    urgent_incident,
    wait_for,
)
from tests.support.fake_twilio import FakeTwilio
from tests.support.seed import SECRETS

pytestmark = pytest.mark.usefixtures("prefect_server", "warm")
EVERYONE = ["ana", "ben", "chloe", "dev", "eve"]


def test_pages_step_by_step_on_time_until_someone_acknowledges(fake: FakeTwilio) -> None:
    steps = [
        {"target": "primary", "wait_s": 2},
        {"target": "secondary", "wait_s": 2},
        {"target": "all", "wait_s": 2, "repeat_every_s": 2},
    ]
    urgent = urgent_incident(steps)
    thread, out = start_flow(urgent.code)
    wait_for(lambda: len(fake.delivered()) >= 7, what="the third round")
    ack(urgent.code, "chloe")
    # the run ends once its acknowledgement form exists: on a loaded machine Prefect's
    # SQLite may have the client retry creating it for ten seconds and more
    thread.join(timeout=60)
    assert out["result"] == "acknowledged"
    assert {round_ for round_, *_rest in pages(urgent.code)} == {0, 1, 2}
    sent = fake.delivered()
    assert paged(fake)[:2] == ["ana", "ben"]
    assert sorted(paged(fake)[2:]) == EVERYONE
    assert len(sent) == 7  # nothing after the acknowledgement
    # round 0 also waits for Prefect to start the run (bench/escalation.py measures it)
    assert sent[0].wall - urgent.urgent_at < 3.0
    for request, due in zip(sent[1:], [2, 4, 4, 4, 4, 4], strict=True):
        error = request.wall - (urgent.urgent_at + due)
        assert -0.05 <= error < 1.0, (HANDLES[request.to], due, error)
    for request in sent:
        assert request.body == (
            f"CARE: URGENT case {urgent.code}. Reply ACK {urgent.code} to take it. "
            f"https://care.example.org/console/incidents/{urgent.code}"
        )
        assert not any(secret in request.body for secret in SECRETS.values())
    with db.session_scope() as session:
        incident = get_incident(session, urgent.code)
        chloe = session.scalar(select(Member).where(Member.handle == "chloe"))
        assert incident.first_responder_id == chloe.id  # type: ignore[union-attr]
        assert incident.urgent_acknowledged_at is not None
        rows = list(session.scalars(select(Page).where(Page.incident_id == incident.id)))
        assert {p.provider_id for p in rows} == {r.sid for r in sent}
        assert all(p.acknowledged_at is not None and p.status == "sent" for p in rows)
    trail = audit_actions(urgent.code)
    assert [a for _actor, a, _d in trail].count("page.add") == 7
    assert ("chloe", "page.ack", '{"channel":"console","first":true}') in trail


def test_conflicted_members_are_never_paged_and_their_ack_does_not_count(
    fake: FakeTwilio,
) -> None:
    steps = [{"target": "primary", "wait_s": 1}, {"target": "all", "wait_s": 1}]
    urgent = urgent_incident(steps)
    with db.session_scope() as session:
        declare_conflict(session, get_incident(session, urgent.code), "ana")
    thread, out = start_flow(urgent.code)
    wait_for(lambda: len(fake.delivered()) >= 1, what="the first page")
    ack(urgent.code, "ana", channel="sms")
    thread.join(timeout=60)
    assert out["result"] == "exhausted"
    assert paged(fake)[0] == "ben"  # no primary left: the secondary is paged
    assert sorted(paged(fake)[1:]) == ["ben", "chloe", "dev", "eve"]
    assert PHONES["ana"] not in {r.to for r in fake.requests}
    actions = [(actor, action) for actor, action, _d in audit_actions(urgent.code)]
    assert ("ana", "page.ack_refused") in actions
    assert ("care", "escalation.exhausted") in actions
    with db.session_scope() as session:
        assert get_incident(session, urgent.code).first_responder_id is None


@pytest.mark.parametrize("failure", ["undeliverable", "persistent-5xx"])
def test_a_failed_sms_falls_back_and_the_next_step_is_paged_at_once(
    fake: FakeTwilio, failure: str
) -> None:
    steps = [{"target": "primary", "wait_s": 30}, {"target": "secondary", "wait_s": 30}]
    if failure == "undeliverable":
        fake.undeliverable(PHONES["ana"], 21211)
    else:
        fake.fail_next(500, times=2)  # both attempts of the first SMS
    urgent = urgent_incident(steps)
    thread, out = start_flow(urgent.code)
    wait_for(lambda: len(fake.delivered()) >= 1, what="the secondary's page")
    first_try = fake.requests[0]
    assert HANDLES[first_try.to] == "ana" and first_try.status != 201
    assert paged(fake) == ["ben"]
    assert fake.delivered()[0].at - first_try.at < 5.0  # at once, not after the 30 s step
    ack(urgent.code, "ben")
    thread.join(timeout=60)
    assert out["result"] == "acknowledged"
    assert pages(urgent.code) == [
        (0, "ana", "sms", "failed"),
        (0, "ana", "slack", "outbox"),
        (0, "ana", "email", "outbox"),
        (1, "ben", "sms", "sent"),
    ]
    with db.session_scope() as session:
        fallbacks = session.scalars(
            select(Message).where(Message.purpose == "page", Message.channel != "sms")
        )
        assert {(m.channel, m.recipient) for m in fallbacks} == {
            ("slack", "UANA"),
            ("email", SECRETS["member_email"]),
        }
    assert "page.undeliverable" not in [a for _actor, a, _d in audit_actions(urgent.code)]


def test_a_page_no_channel_could_deliver_is_recorded(fake: FakeTwilio) -> None:
    steps = [{"target": "primary", "wait_s": 30}, {"target": "secondary", "wait_s": 30}]
    fake.undeliverable(PHONES["ana"], 21614)
    urgent = urgent_incident(steps)
    with db.session_scope() as session:
        ana = session.scalar(select(Member).where(Member.handle == "ana"))
        assert ana is not None
        ana.email, ana.slack_user_id = None, None
    thread, out = start_flow(urgent.code)
    wait_for(lambda: len(fake.delivered()) >= 1, what="the secondary's page")
    ack(urgent.code, "ben")
    thread.join(timeout=60)
    assert out["result"] == "acknowledged"
    trail = audit_actions(urgent.code)
    assert ("care", "page.undeliverable", '{"member":"ana","round":0}') in trail
    [failed] = [p for p in pages(urgent.code) if p[1] == "ana"]
    assert failed == (0, "ana", "sms", "failed")
    with db.session_scope() as session:  # the team channel is told (outbox: no Slack here)
        notice = session.scalar(
            select(Message).where(
                Message.idempotency_key == f"notice:page-failure:{urgent.code}:ana:0"
            )
        )
        assert notice is not None and notice.channel == "slack"
        assert "ana" in notice.body and urgent.code in notice.body


def test_without_twilio_credentials_pages_go_to_the_outbox(
    care_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CARE_TWILIO_ACCOUNT_SID", raising=False)
    get_settings.cache_clear()
    urgent = urgent_incident([{"target": "primary", "wait_s": 30}])
    thread, out = start_flow(urgent.code)
    wait_for(lambda: bool(pages(urgent.code)) and pages(urgent.code)[0][3] == "outbox")
    ack(urgent.code, "ana")
    thread.join(timeout=60)
    assert out["result"] == "acknowledged"
    with db.session_scope() as session:
        [message] = session.scalars(select(Message).where(Message.channel == "sms"))
        assert (message.status, message.recipient) == ("outbox", PHONES["ana"])
        assert urgent.code in message.body


def test_an_incident_acknowledged_before_the_run_starts_pages_nobody(fake: FakeTwilio) -> None:
    urgent = urgent_incident([{"target": "primary", "wait_s": 30}])
    ack(urgent.code, "dev")
    thread, out = start_flow(urgent.code)
    thread.join(timeout=60)
    assert out["result"] == "acknowledged"
    assert fake.requests == []


def test_a_page_cut_off_while_sending_is_not_repeated_but_falls_back(fake: FakeTwilio) -> None:
    steps = [{"target": "primary", "wait_s": 2}, {"target": "secondary", "wait_s": 30}]
    urgent = urgent_incident(steps)
    with db.session_scope() as session:  # a run died between "sending" and Twilio's answer
        incident = get_incident(session, urgent.code)
        ana = session.scalar(select(Member).where(Member.handle == "ana"))
        assert ana is not None
        page, _created = add_page(session, incident, ana, round_index=0, channel="sms")
        mark_page(session, page, "sending")
    thread, out = start_flow(urgent.code)
    wait_for(lambda: len(fake.delivered()) >= 1, what="the secondary's page")
    ack(urgent.code, "ben")
    thread.join(timeout=60)
    assert out["result"] == "acknowledged"
    assert paged(fake) == ["ben"]  # ana's SMS is not sent a second time
    assert fake.delivered()[0].wall - urgent.urgent_at >= 2  # and the step still waited
    assert pages(urgent.code) == [
        (0, "ana", "sms", "unconfirmed"),
        (0, "ana", "slack", "outbox"),
        (0, "ana", "email", "outbox"),
        (1, "ben", "sms", "sent"),
    ]
