"""Words for people: a reporter reads what to change as a sentence, never a validator's text."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient

from intake import wording
from intake.app import create_app
from intake.webform import from_form, to_report
from models import db
from models.tables import Report as ReportTable
from models.validation import InvalidInput
from tests.support import slack_requests as sr
from tests.support.seed import seed_team
from tests.support.slack_app import Slack, count_rows, running_slack
from tests.support.web import submit_form

VALIDATOR_WORDS = ("Value error", "String should", "+CC...", "Field required", "type=")
NARRATIVE = "Someone kept touching my shoulder during the sprint"


@pytest.fixture
def client(sqlite_care: str) -> Iterator[TestClient]:
    with db.session_scope() as session:
        seed_team(session)
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def slack_http(sqlite_care: str) -> Iterator[Slack]:
    yield from running_slack()


@pytest.mark.parametrize(
    ("fields", "sentence", "field"),
    [
        ({"what_happened": " "}, wording.NARRATIVE, "what_happened"),
        ({"contact": "020 7946 0958"}, wording.PHONE, "contact"),
        ({"contact": "+44 20 12"}, wording.PHONE_INVALID, "contact"),
        ({"contact": "ana@"}, wording.EMAIL, "contact"),
        ({"contact": "call me maybe"}, wording.CONTACT, "contact"),
        (
            {"when": "x" * 2001},
            "The answer to \u201cWhen did it happen?\u201d is too long: "
            "it can be at most 2,000 characters.",
            "when",
        ),
        (
            {"where": "Hall \ud800"},
            "Some characters of the answer to \u201cWhere did it happen?\u201d cannot be read. "
            "Please remove them.",
            "where",
        ),
    ],
)
def test_each_problem_is_one_sentence_about_one_field(
    fields: dict[str, str], sentence: str, field: str
) -> None:
    with pytest.raises((ValidationError, InvalidInput)) as caught:
        to_report(from_form({"what_happened": NARRATIVE, **fields}), None)
    assert isinstance(caught.value, ValidationError | InvalidInput)
    [said] = wording.explain(caught.value)
    assert (said.text, said.field) == (sentence, field)
    assert not any(word in said.text for word in VALIDATOR_WORDS)


def test_a_bad_phone_number_on_the_form_reads_as_a_sentence(client: TestClient) -> None:
    status, page = submit_form(client, what_happened=NARRATIVE, contact="020 7946 0958")
    assert status == 422
    box = html.unescape(page.split('<div class="errors"', 1)[1].split("</div>", 1)[0])
    assert wording.PHONE in box
    assert '<a href="#contact">' in box  # the sentence leads to the field to change
    assert not any(word in box for word in VALIDATOR_WORDS)
    assert NARRATIVE in page and 'value="020 7946 0958"' in page  # nothing is lost


def test_the_json_api_answers_in_sentences_and_names_the_field(client: TestClient) -> None:
    answer = client.post("/reports", json={"what_happened": NARRATIVE, "contact": "0871 234"})
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": wording.PHONE,
        "errors": [{"field": "contact", "message": wording.PHONE}],
    }
    unknown = client.post("/reports", json={"what_happened": NARRATIVE, "colour": "red"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == "A report has no field called 'colour'. Please leave it out."
    broken = client.post(
        "/reports", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422 and broken.json()["detail"] == wording.UNREADABLE


def test_the_slack_modal_shows_sentences_under_the_field(slack_http: Slack) -> None:
    payload = sr.submission(user="UBEN", on_behalf=True, their_email="not an address")
    answer = slack_http.interact(payload).json()
    assert answer == {"response_action": "errors", "errors": {"for_email": wording.EMAIL}}
    empty = slack_http.interact(sr.submission(user="UREPORTER", narrative="")).json()
    assert empty == {"response_action": "errors", "errors": {"what": wording.NARRATIVE}}
    assert count_rows(ReportTable) == 0
