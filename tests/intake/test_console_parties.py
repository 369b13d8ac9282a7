"""People involved on the console's record page: recorded, changed, merged by members."""

from __future__ import annotations

import json

import pytest

from tests.support.console import csrf
from tests.support.console_case import Case, audit_entries, console_case
from tests.support.seed import SECRETS


@pytest.fixture
def case(care_db: str) -> Case:
    return console_case()


def _page(case: Case) -> str:
    return f"/console/incidents/{case.code}"


def test_a_member_records_a_person_and_the_page_says_which_pseudonym(case: Case) -> None:
    client = case.client("ben")
    page = client.get(_page(case)).text
    assert '<section id="parties">' in page and "People involved" in page
    assert SECRETS["reported_name"] in page  # the report's own "who was involved", beside it
    answer = client.post(
        f"{_page(case)}/parties",
        data={
            "csrf": csrf(client, _page(case)),
            "role": "reported",
            "name": "Corvin Ashdown",
            "contact": "corvin@example.com",
            "description": "wore a red lanyard",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{_page(case)}?done=party#parties"
    shown = client.get(answer.headers["location"]).text
    assert "P2 (reported) recorded under People involved." in shown
    assert "Corvin Ashdown" in shown and "corvin@example.com" in shown
    [added] = [e for e in audit_entries("party.add") if e.actor == "ben"]
    assert json.loads(added.detail) == {"pseudonym": "P2", "role": "reported", "via": "console"}


def test_a_refused_person_is_explained_on_the_page(case: Case) -> None:
    client = case.client("ben")
    answer = client.post(
        f"{_page(case)}/parties",
        data={"csrf": csrf(client, _page(case)), "role": "friend", "name": "Someone"},
    )
    assert answer.status_code == 400
    assert "role must be one of reporter, reported, target, witness" in answer.text


def test_without_the_form_token_or_with_a_conflict_nothing_is_recorded(case: Case) -> None:
    ben = case.client("ben")
    forged = ben.post(f"{_page(case)}/parties", data={"role": "witness", "name": "X"})
    assert forged.status_code in (400, 403)
    dev = case.client("dev")  # dev declared a conflict on the incident
    refused = dev.post(
        f"{_page(case)}/parties",
        data={"csrf": csrf(dev), "role": "witness", "name": "X"},
    )
    assert refused.status_code == 403
    added = [e.actor for e in audit_entries("party.add") if e.incident_code == case.code]
    assert added == ["ana"]  # the seed's P1 only


def test_a_member_changes_an_entry_and_merges_two_for_one_person(case: Case) -> None:
    client = case.client("chloe")
    token = csrf(client, _page(case))
    client.post(
        f"{_page(case)}/parties",
        data={"csrf": token, "role": "witness", "name": "O. Vantwick"},
    )
    changed = client.post(
        f"{_page(case)}/parties/P2",
        data={
            "csrf": token,
            "role": "reported",
            "name": "O. Vantwick",
            "contact": "+353 85 777 0000",
            "description": "",
        },
        follow_redirects=False,
    )
    assert changed.headers["location"] == f"{_page(case)}?done=party-edit#parties"
    assert "P2 (reported) changed" in client.get(changed.headers["location"]).text
    merged = client.post(
        f"{_page(case)}/parties/merge",
        data={"csrf": token, "merge": "P2", "into": "P1"},
        follow_redirects=False,
    )
    assert merged.status_code == 303
    page = client.get(merged.headers["location"]).text
    assert "P2 merged into P1" in page and "also recorded as P2" in page
    assert "+353 85 777 0000" in page  # the kept entry took the contact it lacked
    assert 'id="party-P2"' not in page
    again = client.post(
        f"{_page(case)}/parties/merge", data={"csrf": token, "merge": "P2", "into": "P1"}
    )
    assert again.status_code == 400 and "P2 was already merged into P1" in again.text
    assert [json.loads(e.detail)["fields"] for e in audit_entries("party.edit")] == [
        ["contact", "role"]
    ]
