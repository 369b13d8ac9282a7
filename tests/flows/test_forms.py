"""Each form comes from one definition: the Prefect form, the parsed answer, the record's input."""

from __future__ import annotations

from typing import Any

import pytest

from flows.forms import form_fields, prefect_form
from models import answers
from models.answers import Choices, FormAnswer, ReviewAnswer
from policy import resolutions
from policy.resolutions import ResolutionEntry

DEFINITIONS = [
    answers.ReviewAnswer,
    answers.FindingsAnswer,
    answers.ConversationAnswer,
    answers.StatementAnswer,
    answers.SignoffAnswer,
    answers.AckAnswer,
    answers.SummaryAnswer,
]
# the fields of the forms of earlier releases: a run suspended before an upgrade is
# answered with these, so they must not change
EARLIER = {
    "Review": [
        "reviewer", "code", "needs_more_information", "information_to_gather", "what_happened",
        "category", "violation", "new_parties", "bad_actors", "intentional", "severity",
        "resolve_no_action", "resolve_stop_behaviour", "resolve_no_further_contact",
        "resolve_do_not_publish_video", "resolve_cancel_talk", "resolve_remove_without_refund",
        "resolve_other", "other_resolution", "reporter_explanation", "happened_in_public",
        "law_enforcement_involved", "conflicts_declared",
    ],
    "Findings": ["member", "code", "findings"],
    "Conversation": ["member", "code", "notes", "held"],
    "Statement": ["member", "code", "text"],
    "SignOff": ["member", "verdict", "code", "comment"],
    "Acknowledge": ["member", "code"],
    "Summary": ["member", "summary"],
}  # fmt: skip


def _schema(definition: type[FormAnswer], eligible: list[str]) -> dict[str, Any]:
    return prefect_form(definition, eligible).model_json_schema()


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.form_title)
def test_a_form_has_the_fields_of_earlier_releases(definition: type[FormAnswer]) -> None:
    schema = _schema(definition, ["ana", "ben"])
    assert schema["title"] == definition.form_title
    assert list(schema["properties"]) == EARLIER[definition.form_title]
    who = next(iter(schema["properties"].values()))
    assert who["enum"] == ["ana", "ben"] and who["title"] == "You are"


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.form_title)
def test_what_the_form_submits_parses_back_with_its_definition(
    definition: type[FormAnswer],
) -> None:
    form = prefect_form(definition, ["ana", "ben"])
    submitted = form.model_validate(_filled(form.model_json_schema())).model_dump()
    parsed = definition.model_validate(submitted).model_dump()
    parsed.pop("resolutions", None)  # the review's tick boxes, folded (see below)
    assert parsed == {name: _value(definition, name, submitted[name]) for name in parsed}
    assert set(submitted) - set(parsed) <= {"description"} | {
        name for name in submitted if name.startswith("resolve_")
    }


def _value(definition: type[FormAnswer], name: str, given: Any) -> Any:
    """What the record keeps of a choice the form offered by its label: its key."""
    info = definition.model_fields[name]
    marker = next((m for m in info.metadata if isinstance(m, Choices)), None)
    return marker.value_of(given) if marker else given


def test_choices_read_as_sentences_and_are_recorded_by_their_keys() -> None:
    properties = _schema(ReviewAnswer, ["ana"])["properties"]
    violation = properties["violation"]
    assert violation["title"] == "Was it a violation of the Code of Conduct?"
    assert violation["enum"] == [
        "Yes, it was a violation",
        "No, it was not a violation",
        "Not determined",
    ]
    assert violation["default"] == "Not determined"
    assert properties["resolve_no_action"]["title"] == "Resolve with: No action"
    assert not [p["title"] for p in properties.values() if "_" in p["title"]]  # no raw keys
    by_label = ReviewAnswer.model_validate(
        {
            "reviewer": "ana",
            "code": "1",
            "violation": "Yes, it was a violation",
            "severity": "High",
            "intentional": "Not clear",
            "category": "Unwelcome physical contact",
        }
    )
    assert (by_label.violation, by_label.severity, by_label.intentional, by_label.category) == (
        "yes",
        "high",
        "unclear",
        "unwelcome_contact",
    )
    earlier = ReviewAnswer.model_validate(  # a form of an earlier release sent the keys
        {"reviewer": "ana", "code": "1", "violation": "no", "category": "harassment"}
    )
    assert (earlier.violation, earlier.category) == ("no", "harassment")
    signoff = _schema(answers.SignoffAnswer, ["ana"])["properties"]["verdict"]
    assert signoff["title"] == "Do you approve it?" and "I approve" in signoff["enum"]
    assert (
        answers.SignoffAnswer.model_validate(
            {"member": "ana", "verdict": "I approve", "code": "1"}
        ).verdict
        == "approve"
    )


def _filled(schema: dict[str, Any]) -> dict[str, Any]:
    """Values a member would give: the first choice, a code, text, the defaults otherwise."""
    values: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        if "enum" in prop:
            values[name] = prop["enum"][0]
        elif name == "code":
            values[name] = "123456"
        elif prop.get("type") == "string":
            values[name] = prop.get("default", "some text")
    return values


def test_a_submitted_review_is_the_records_input() -> None:
    submitted = {
        "reviewer": "ana",
        "code": "123456",
        "what_happened": "Remarks",
        "bad_actors": "p2; P3,",
        "resolve_no_further_contact": True,
        "resolve_stop_behaviour": True,
        "resolve_cancel_talk": False,
        "conflicts_declared": "Ben, chloe",
        "description": "shown above the form",
    }
    review = ReviewAnswer.model_validate(submitted)
    assert review.resolutions == ["stop_behaviour", "no_further_contact"]  # catalogue order
    assert review.pseudonyms() == ["P2", "P3"] and review.conflicts() == ["ben", "chloe"]
    assert review.reviewer == "ana" and not review.needs_more_information


def test_a_resolution_added_to_the_catalogue_is_in_the_form_and_the_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    apology = ResolutionEntry("apologise", "Ask the participant to apologise", "care")
    monkeypatch.setattr(resolutions, "CATALOGUE", (*resolutions.CATALOGUE, apology))
    fields = form_fields(ReviewAnswer, ["ana"])
    assert fields["resolve_apologise"][1].title == "Resolve with: Ask the participant to apologise"
    assert list(fields).index("resolve_apologise") == list(fields).index("other_resolution") - 1
    review = ReviewAnswer.model_validate(
        {"reviewer": "ana", "code": "1", "resolve_apologise": True, "resolve_no_action": True}
    )
    assert review.resolutions == ["no_action", "apologise"]


def test_a_resolution_the_catalogue_no_longer_has_reaches_the_record_to_be_refused() -> None:
    review = ReviewAnswer.model_validate({"reviewer": "ana", "code": "1", "resolve_ban": True})
    assert review.resolutions == ["ban"]
    with pytest.raises(ValueError, match="not a resolution of the catalogue: ban"):
        resolutions.validate_resolutions(review.resolutions, other_text_given=False)
