"""Team notices: codes, urgency and links, buttons that match, and no personal data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters import notices
from adapters.outgoing import DeliveryError
from models import db
from models.tables import Message
from policy.signoff import DecisionKind
from record import decisions as svc
from record.acts.answer import answer_decision
from record.incidents import declare_conflict, get_incident
from tests.support.fake_slack import TEAM_CHANNEL, FakeSlack, running_fake_slack, slack_configured
from tests.support.seed import SECRETS, seed_report, seed_team
from tests.support.waiting_case import waiting_case

RUN_ID = "0b6f7c1e-2f7a-4d5e-9a51-3c0a7a1d2e44"


@pytest.fixture
def slack(care_db: str) -> Iterator[FakeSlack]:
    with running_fake_slack() as fake, slack_configured(fake):
        yield fake


def _report(*, urgent: bool = False) -> tuple[str, int]:
    with db.session_scope() as session:
        seed_team(session)
        incident = get_incident(session, seed_report(session, urgent=urgent))
        return incident.code, incident.reports[0].id


def _decision(code: str, *, flow_run_id: str | None = RUN_ID) -> int:
    with db.session_scope() as session:
        decision = svc.propose(
            session,
            kind=DecisionKind.review_outcome,
            summary="violation: yes; stop_behaviour",
            proposer="ana",
            incident=get_incident(session, code),
        )
        decision.flow_run_id = flow_run_id
        return decision.id


def _slack_answer(session: Session, decision_id: int, handle: str) -> int:
    answer_decision(
        session, decision_id=decision_id, handle=handle, verdict="approve", channel="slack"
    )
    return svc.get_decision(session, decision_id).approvals[-1].id


def _buttons(call_args: dict[str, Any]) -> list[tuple[str, str]]:
    actions = [b for b in call_args["blocks"] if b["type"] == "actions"]
    return [(e["action_id"], e["value"]) for a in actions for e in a["elements"]]


def test_a_new_report_is_announced_with_its_code_channel_and_record_link(slack: FakeSlack) -> None:
    code, report_id = _report()
    assert notices.announce_report(report_id) == "sent"
    [call] = slack.of("chat.postMessage")
    assert call.args["channel"] == TEAM_CHANNEL
    assert code in call.args["text"] and "via web" in call.args["text"]
    assert f"http://127.0.0.1:8000/console/incidents/{code}" in json.dumps(call.args["blocks"])
    assert _buttons(call.args) == [(notices.CONFLICT, code)]


def test_an_urgent_report_can_be_acknowledged_from_the_notice(slack: FakeSlack) -> None:
    code, report_id = _report(urgent=True)
    notices.announce_report(report_id)
    [call] = slack.of("chat.postMessage")
    assert "URGENT" in call.args["text"]
    assert _buttons(call.args) == [(notices.ACK, code), (notices.CONFLICT, code)]


def test_announcing_twice_posts_once(slack: FakeSlack) -> None:
    _code, report_id = _report()
    notices.announce_report(report_id)
    assert notices.announce_report(report_id) == "sent"
    assert len(slack.of("chat.postMessage")) == 1


def test_an_open_sign_off_shows_kind_count_and_the_prefect_link(slack: FakeSlack) -> None:
    code, _ = _report()
    decision_id = _decision(code)
    notices.announce_decision(decision_id)
    [call] = slack.of("chat.postMessage")
    text = call.args["text"]
    assert code in text and "review_outcome" in text and "Approvals 1 of 2" in text
    assert f"http://127.0.0.1:4200/runs/flow-run/{RUN_ID}" in text
    value = str(decision_id)
    assert _buttons(call.args) == [
        (notices.APPROVE, value),
        (notices.OBJECT, value),
        (notices.CONFLICT, code),
    ]


def test_an_open_text_sign_off_sends_members_to_read_it_in_the_console(
    slack: FakeSlack,
) -> None:
    code, _ = _report()
    with db.session_scope() as session:
        decision = svc.propose(
            session,
            kind=DecisionKind.reporter_message,
            summary="Send the message CARE drafted to the reporter of report 1",
            proposer=None,
            incident=get_incident(session, code),
            body="Dear reporter, thank you.",
        )
        decision.flow_run_id, decision_id = RUN_ID, decision.id
    notices.announce_decision(decision_id)
    [call] = slack.of("chat.postMessage")
    text = call.args["text"]
    assert "Approvals 0 of 2" in text and "Read the text in the console" in text
    assert f"http://127.0.0.1:8000/console/decisions/{decision_id}" in text
    assert "Dear reporter" not in json.dumps(call.args)  # the text itself stays out of Slack


def test_a_counted_approval_is_announced_with_who_and_how(slack: FakeSlack) -> None:
    code, _ = _report()
    decision_id = _decision(code)
    with db.session_scope() as session:
        approval_id = _slack_answer(session, decision_id, "ben")
    notices.announce_approval(decision_id, approval_id)
    text = slack.of("chat.postMessage")[0].args["text"]
    assert "ben approved" in text and "via slack" in text
    assert "Approvals 2 of 2; approved" in text


def test_a_refused_answer_in_someones_name_is_announced_too(slack: FakeSlack) -> None:
    code, _ = _report()
    decision_id = _decision(code)
    with db.session_scope() as session:
        declare_conflict(session, get_incident(session, code), "ben")
        approval_id = _slack_answer(session, decision_id, "ben")
    notices.announce_approval(decision_id, approval_id)
    text = slack.of("chat.postMessage")[0].args["text"]
    assert "in the name of ben" in text and "refused: conflicted" in text
    assert "Approvals 1 of 2; pending" in text


def test_a_page_nobody_received_is_announced(slack: FakeSlack) -> None:
    code, _ = _report(urgent=True)
    notices.announce_page_failure(code, "chloe")
    [call] = slack.of("chat.postMessage")
    assert "chloe" in call.args["text"] and code in call.args["text"]
    assert (notices.ACK, code) in _buttons(call.args)


def test_no_notice_carries_personal_data(slack: FakeSlack) -> None:
    code, report_id = _report(urgent=True)
    decision_id = _decision(code, flow_run_id=None)
    with db.session_scope() as session:
        result = answer_decision(
            session,
            decision_id=decision_id,
            handle="ben",
            verdict="approve",
            channel="slack",
            comment=SECRETS["note"],
        )
        assert result.counted
        approval_id = svc.get_decision(session, decision_id).approvals[-1].id
    notices.announce_report(report_id)
    notices.announce_decision(decision_id)
    notices.announce_approval(decision_id, approval_id)
    notices.announce_page_failure(code, "ana")
    assert len(slack.of("chat.postMessage")) == 4
    sent = slack.everything_sent()
    for name, secret in SECRETS.items():
        assert secret not in sent, name
    assert "Member Ben" not in sent


def test_without_a_bot_token_notices_wait_in_the_outbox(care_db: str) -> None:
    _code, report_id = _report()
    assert notices.announce_report(report_id) == "outbox"


def test_a_permanent_failure_returns_failed(slack: FakeSlack) -> None:
    _code, report_id = _report()
    slack.fail("chat.postMessage", "channel_not_found")
    assert notices.announce_report(report_id) == "failed"


def test_a_transient_failure_raises_and_the_retry_sends_the_same_message(
    slack: FakeSlack,
) -> None:
    _code, report_id = _report()
    slack.fail("chat.postMessage", "internal_error")
    with pytest.raises(DeliveryError):
        notices.announce_report(report_id)
    assert notices.announce_report(report_id) == "sent"
    with db.session_scope() as session:
        rows = session.scalars(select(Message).where(Message.purpose == "team_notice")).all()
        assert [r.status for r in rows] == ["sent"]


def test_a_new_waiting_step_is_announced_with_code_step_count_and_link_but_no_name(
    slack: FakeSlack,
) -> None:
    case = waiting_case()
    code = case.reviews[0]
    with db.session_scope() as session:
        get_incident(session, code).flow_run_id = RUN_ID
    step = f"review-{code.lower()}-1"
    assert notices.announce_waiting(code, step) == "sent"
    assert notices.announce_waiting(code, step) == "sent"  # a re-run posts nothing more
    [call] = slack.of("chat.postMessage")
    assert call.args["channel"] == TEAM_CHANNEL
    text = call.args["text"]
    assert f"Waiting on *{code}*: review, round 1. Waits on 4 members." in text
    assert f"http://127.0.0.1:8000/console/incidents/{code}" in text
    assert f"http://127.0.0.1:4200/runs/flow-run/{RUN_ID}" in text
    with db.session_scope() as session:
        keys = session.scalars(select(Message.idempotency_key)).all()
        assert f"notice:waiting:{code}:{step}" in keys
    sent = slack.everything_sent()
    for name, secret in SECRETS.items():
        assert secret not in sent, name
    for handle in ("ana", "ben", "chloe", "eve"):
        assert f"{handle}" not in text.split("<")[0], handle


def test_a_step_no_longer_waiting_is_not_announced(slack: FakeSlack) -> None:
    case = waiting_case()
    assert notices.announce_waiting(case.signoff, f"review-{case.signoff.lower()}-1") is None
    assert slack.of("chat.postMessage") == []


def test_a_recorded_answer_is_heard_with_what_comes_next(slack: FakeSlack) -> None:
    case = waiting_case()
    step = f"review-{case.signoff.lower()}-1"
    notices.announce_answer(case.signoff, step, handle="ana", refusal=None, at="1.5")
    notices.announce_answer(
        case.reviews[0], f"review-{case.reviews[0].lower()}-1", handle="ben",
        refusal="ben may not review it: bad_code", at="2.5",
    )  # fmt: skip
    recorded, refused = (c.args["text"] for c in slack.of("chat.postMessage"))
    assert recorded.startswith(
        f"Review of *{case.signoff}* recorded by ana; next: sign-off of the review outcome."
    )
    assert refused.startswith(f"An answer (review) on *{case.reviews[0]}* was not recorded:")
    assert "bad_code" in refused
    sent = slack.everything_sent()
    for name, secret in SECRETS.items():
        assert secret not in sent, name
