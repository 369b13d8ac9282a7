"""An incident's page says what a team relies on: who responded (urgent cases only), and
whether its public statement was published; the team channel hears of the publication."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import db
from models.settings import get_settings
from models.tables import Message
from policy.signoff import DecisionKind
from record import decisions
from record.incidents import get_incident
from tasks.lifecycle import publish_statement
from tests.support.console_case import Case, console_case
from tests.support.seed import SECRETS

STATEMENT = "A participant was asked to leave the conference after repeated harassment."


@pytest.fixture
def case(care_db: str) -> Case:
    return console_case()


def _close(code: str) -> None:
    with db.session_scope() as session:
        get_incident(session, code).status = "closed"


def test_only_an_urgent_case_names_its_first_responder(case: Case) -> None:
    client = case.client("ben")
    assert "First responder" not in client.get(f"/console/incidents/{case.code}").text
    urgent = client.get(f"/console/incidents/{case.urgent_code}").text
    assert "First responder" in urgent and "nobody yet" in urgent.split("First responder")[1]
    _close(case.code)
    _close(case.urgent_code)
    closed = client.get(f"/console/incidents/{case.code}").text
    assert "First responder" not in closed and "nobody yet</dd>" not in closed
    closed_urgent = client.get(f"/console/incidents/{case.urgent_code}").text
    after = closed_urgent.split("First responder</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert after.strip() == "—"


def test_a_published_statement_is_announced_and_shown_on_the_case(case: Case) -> None:
    with db.session_scope() as session:
        decision = decisions.propose(
            session,
            kind=DecisionKind.public_statement_text,
            summary="Send this statement",
            proposer="ana",
            incident=get_incident(session, case.code),
            body=STATEMENT,
        )
    publish_statement.fn(case.code, decision.id)
    publish_statement.fn(case.code, decision.id)  # a retried step announces it once
    path = get_settings().published / "statements" / f"{case.code}.md"
    assert path.read_text() == STATEMENT + "\n"
    with db.session_scope() as session:
        notices = [
            m.body
            for m in session.scalars(select(Message).where(Message.purpose == "team_notice"))
            if "public statement" in m.body
        ]
    assert len(notices) == 1
    assert case.code in notices[0] and f"statements/{case.code}.md" in notices[0]
    assert not any(secret in notices[0] for secret in SECRETS.values())
    page = case.client("ben").get(f"/console/incidents/{case.code}").text
    shown = page.split("Public statement</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert shown.startswith("published ") and f"statements/{case.code}.md" in shown
