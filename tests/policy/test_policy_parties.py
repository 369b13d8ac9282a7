"""The rules for the people involved: roles, pseudonyms, edits, merges, the review's list."""

from __future__ import annotations

import pytest

from policy.parties import (
    PartyRefused,
    PartyView,
    Role,
    check_edit,
    merge_refusal,
    merged_values,
    next_pseudonym,
    parse_new_parties,
    role,
)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("reporter", Role.reporter),
        ("Reported", Role.reported),
        ("reported person", Role.reported),
        ("Reported  Person", Role.reported),
        ("bad actor", Role.reported),
        ("target", Role.target),
        ("witness", Role.witness),
    ],
)
def test_the_words_for_a_role(word: str, expected: Role) -> None:
    assert role(word) is expected


@pytest.mark.parametrize("word", ["", "victim", "member", "P1"])
def test_a_word_that_is_no_role_is_refused_naming_the_roles(word: str) -> None:
    with pytest.raises(PartyRefused, match="reporter, reported, target, witness"):
        role(word)


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ([], "P1"),
        (["P1"], "P2"),
        (["P1", "P2", "P3"], "P4"),
        (["P1", "P3"], "P4"),  # P2 erased: never given again
        (["P9"], "P10"),
    ],
)
def test_pseudonyms_count_up_and_are_never_reused(existing: list[str], expected: str) -> None:
    assert next_pseudonym(existing) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": "  Ada  "}, {"name": "Ada"}),
        ({"contact": ""}, {"contact": None}),  # a contact can be removed
        ({"role": "Reported person"}, {"role": "reported"}),
        ({"description": "tall", "name": "B"}, {"description": "tall", "name": "B"}),
    ],
)
def test_what_a_member_may_change(changes: dict[str, str], expected: dict[str, str]) -> None:
    assert check_edit(changes) == expected


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"pseudonym": "P7"}, "not pseudonym"),
        ({"incident_id": "2"}, "not incident_id"),
        ({}, "say what to change"),
        ({"role": "victim"}, "the role must be one of"),
        ({"name": "x" * 201}, "at most 200"),
    ],
)
def test_what_a_member_may_not_change(changes: dict[str, str], why: str) -> None:
    with pytest.raises(PartyRefused, match=why):
        check_edit(changes)


@pytest.mark.parametrize(
    ("merged", "into", "refusal"),
    [
        (PartyView("P2"), PartyView("P1"), None),
        (PartyView("P1"), PartyView("P2"), None),  # either way round
        (PartyView("P1"), PartyView("P1"), "P1 cannot be merged into itself"),
        (PartyView("P2", "P1"), PartyView("P3"), "P2 was already merged into P1"),
        (PartyView("P3"), PartyView("P2", "P1"), "P2 was merged into P1: merge into P1 instead"),
    ],
)
def test_merge_rules(merged: PartyView, into: PartyView, refusal: str | None) -> None:
    assert merge_refusal(merged, into) == refusal


def test_a_merge_keeps_what_the_kept_party_knows_and_fills_its_gaps() -> None:
    kept = {"name": "Ada L.", "contact": None, "description": "speaker"}
    merged = {"name": "Ada Lovelace", "contact": "ada@example.org", "description": None}
    assert merged_values(kept, merged) == {
        "name": "Ada L.",
        "contact": "ada@example.org",
        "description": "speaker",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("reported: Bob Smith", [(Role.reported, "Bob Smith")]),
        (
            "reported: Bob\nwitness: Cy Dee",
            [(Role.reported, "Bob"), (Role.witness, "Cy Dee")],
        ),
        ("Reported person: Bob; target: Ann;", [(Role.reported, "Bob"), (Role.target, "Ann")]),
        ("\n  \nwitness:  Eve  \n", [(Role.witness, "Eve")]),
    ],
)
def test_the_review_forms_new_parties(text: str, expected: list[tuple[Role, str]]) -> None:
    assert parse_new_parties(text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Bob Smith", "entry 1 is not"),
        ("reported: Bob; Carol Secret", "entry 2 is not"),
        ("reported:", "entry 1 is not"),
        ("friend: Carol Secret", "entry 1: the role must be one of"),
    ],
)
def test_a_new_party_not_written_as_role_and_name_is_refused_without_repeating_it(
    text: str, why: str
) -> None:
    with pytest.raises(PartyRefused, match=why) as refused:
        parse_new_parties(text)
    assert "Bob" not in str(refused.value) and "Carol" not in str(refused.value)
