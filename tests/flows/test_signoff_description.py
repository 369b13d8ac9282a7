"""The sign-off form says what a text is and links to it; the text stays out of Prefect."""

from __future__ import annotations

import pytest

from flows.signoff import describe
from models import db, totp
from models.settings import get_settings
from policy.signoff import DecisionKind, DecisionStatus
from record import decisions
from record.acts.answer import answer_decision
from record.incidents import get_incident
from tasks.signoff import SignoffView, read_signoff
from tests.support.seed import seed_report, seed_team


def view(kind: str, proposer: str | None, last_refusal: str | None = None) -> SignoffView:
    return SignoffView(
        decision_id=7,
        kind=kind,
        status=DecisionStatus.pending,
        incident_code="DCE26-1",
        summary="Send the message CARE drafted to the reporter of report 1",
        proposer=proposer,
        approvers=[],
        eligible=["ben", "chloe"],
        required=2,
        flow_run_id=None,
        last_refusal=last_refusal,
    )


@pytest.mark.parametrize(
    ("kind", "proposer", "says"),
    [
        pytest.param(
            "reporter_message", None, "the message to the reporter, drafted by CARE",
            id="a reporter message CARE drafted",
        ),
        pytest.param(
            "public_statement_text", "dev", "the public statement, written by dev",
            id="a statement a member wrote",
        ),
    ],
)  # fmt: skip
def test_a_text_is_named_and_linked_in_the_console(
    kind: str, proposer: str | None, says: str
) -> None:
    text = describe(view(kind, proposer))
    link = f"{get_settings().public_url.rstrip('/')}/console/decisions/7"
    assert says in text and f"[decision 7]({link})" in text
    assert "counts only from a member who has opened it there" in text


def test_a_decision_without_a_text_links_to_the_record() -> None:
    text = describe(view("review_outcome", "ana"))
    assert "/console/incidents/DCE26-1" in text and "/console/decisions/" not in text


def test_an_unread_texts_refusal_is_said_in_plain_words_on_the_next_form(care_db: str) -> None:
    with db.session_scope() as session:
        secrets = seed_team(session).totp
        decision_id = decisions.propose(
            session,
            kind=DecisionKind.reporter_message,
            summary="Send the message CARE drafted to the reporter of report 1",
            proposer=None,
            incident=get_incident(session, seed_report(session)),
            body="Dear reporter, thank you.",
        ).id
        answer_decision(
            session,
            decision_id=decision_id,
            handle="ben",
            verdict="approve",
            channel="ui",
            code=totp.current_code(secrets["ben"]),
        )
    text = describe(read_signoff(decision_id))
    assert "The answer of ben was not counted: the text had not been shown to them yet" in text
    assert "Dear reporter" not in text


@pytest.mark.parametrize(
    ("kind", "proposer", "last_counted", "first_line"),
    [
        pytest.param(
            "review_outcome",
            "ana",
            None,
            "**Your review of DCE26-1 was recorded (by ana)**; next: its sign-off, here.",
            id="the reviewer sees her review counted",
        ),
        pytest.param(
            "review_outcome",
            "ana",
            "ben",
            "**The approval of ben was recorded.**",
            id="an approval counted",
        ),
        pytest.param("reporter_message", None, None, "## Sign-off", id="nothing answered yet"),
    ],
)
def test_the_form_opens_with_what_came_of_the_last_answer(
    kind: str, proposer: str | None, last_counted: str | None, first_line: str
) -> None:
    shown = view(kind, proposer).model_copy(update={"last_counted": last_counted})
    assert describe(shown).startswith(first_line)
