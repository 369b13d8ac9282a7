"""The buttons under Slack's team notices: a click counts only for an active,
non-conflicted member."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters import notices
from models import db
from models.tables import Approval
from policy.signoff import DecisionKind
from record import decisions as svc
from record.incidents import declare_conflict, get_incident
from record.members import deactivate
from tests.support import slack_requests as sr
from tests.support.seed import seed_report
from tests.support.slack_app import (
    Slack,
    count_rows,
    proposed_decision,
    running_slack,
)


@pytest.fixture
def slack(care_db: str) -> Iterator[Slack]:
    """Slack intake on SQLite and PostgreSQL: for what the record must get right."""
    yield from running_slack()


@pytest.fixture
def slack_http(sqlite_care: str) -> Iterator[Slack]:
    """Slack intake on SQLite only: for the HTTP protocol (signatures, payload shapes)."""
    yield from running_slack()


# --- buttons ---------------------------------------------------------------------------


def test_a_members_approval_counts_and_is_announced(slack: Slack) -> None:
    code, decision_id = proposed_decision()
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


def test_approving_a_text_not_yet_read_is_refused_in_plain_words(slack: Slack) -> None:
    with db.session_scope() as session:
        decision_id = svc.propose(
            session,
            kind=DecisionKind.reporter_message,
            summary="Send the message CARE drafted to the reporter of report 1",
            proposer=None,
            incident=get_incident(session, seed_report(session)),
            body="Dear reporter, thank you.",
        ).id
    slack.interact(sr.click(notices.APPROVE, str(decision_id), user="UBEN"))
    with db.session_scope() as session:
        decision = svc.get_decision(session, decision_id)
        assert decision.status == "pending"
        assert [(a.counted, a.refusal) for a in decision.approvals] == [(False, "text_not_read")]
    [reply] = slack.private_replies()
    assert "you have not read this text yet: open it in the console first" in reply


def test_a_conflicted_members_approval_does_notcount_rows(slack: Slack) -> None:
    code, decision_id = proposed_decision()
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
    _code, decision_id = proposed_decision()
    slack.interact(sr.click(notices.APPROVE, str(decision_id), user="UMALLORY"))
    assert count_rows(Approval) == 0
    [ephemeral] = slack.fake.of("chat.postEphemeral")
    assert (
        ephemeral.args["user"] == "UMALLORY" and "not a CARE team member" in ephemeral.args["text"]
    )


def test_an_inactive_members_objection_does_notcount_rows(slack: Slack) -> None:
    _code, decision_id = proposed_decision()
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
