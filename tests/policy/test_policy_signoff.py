"""Sign-off rules: two members for most decisions, a majority for public statements.

Nobody approves what they did not see: a text is approved only by members shown it, and
a text CARE drafted has no approval until members approve it.
"""

from __future__ import annotations

from collections.abc import Collection

import pytest

from policy.members import MemberView
from policy.signoff import (
    CARE,
    REASONS,
    DecisionKind,
    DecisionStatus,
    Refusal,
    counted_approvers,
    eligible_approvers,
    has_quorum,
    may_approve,
    may_approve_text,
    required_approvals,
)

K = DecisionKind
TEAM_KINDS = {K.public_statement_decision, K.public_statement_text, K.transparency_report}
TEXT_KINDS = {K.reporter_message, K.public_statement_text}  # a text CARE sends or publishes


def team(*handles: str, inactive: Collection[str] = ()) -> dict[str, MemberView]:
    """Members by handle; those named in ``inactive`` are inactive."""
    return {h: MemberView(handle=h, active=h not in inactive) for h in (*handles, *inactive)}


FIVE = team("ana", "ben", "cai", "dee", "eli")


@pytest.mark.parametrize(
    ("member", "members", "conflicted", "counted", "expected"),
    [
        pytest.param("ben", FIVE, (), ["ana"], None, id="an active member without conflict"),
        pytest.param("zed", FIVE, (), [], Refusal.unknown_member, id="someone not on the team"),
        pytest.param(
            "old", team("ana", inactive=["old"]), (), [], Refusal.inactive,
            id="a member who has left the team",
        ),
        pytest.param("ben", FIVE, {"ben"}, [], Refusal.conflicted, id="a conflicted member"),
        pytest.param(
            "ana", FIVE, (), ["ana"], Refusal.already_counted,
            id="proposer approving twice is not two members",
        ),
        pytest.param(
            "old", team("ana", inactive=["old"]), {"old"}, ["old"], Refusal.inactive,
            id="inactive is reported before conflicted and already counted",
        ),
        pytest.param(
            "cai", FIVE, {"cai"}, ["cai"], Refusal.conflicted,
            id="conflicted is reported before already counted",
        ),
        pytest.param(
            "zed", FIVE, {"zed"}, [], Refusal.unknown_member,
            id="unknown member is reported first",
        ),
    ],
)  # fmt: skip
def test_may_approve(
    member: str,
    members: dict[str, MemberView],
    conflicted: Collection[str],
    counted: list[str],
    expected: Refusal | None,
) -> None:
    assert (
        may_approve(member=member, members=members, conflicted=conflicted, counted=counted)
        is expected
    )


@pytest.mark.parametrize(
    ("kind", "member", "conflicted", "counted", "shown", "expected"),
    [
        pytest.param(
            K.reporter_message, "ben", (), [], ["ben"], None,
            id="a member who was shown the reporter message",
        ),
        pytest.param(
            K.reporter_message, "ben", (), [], [], Refusal.text_not_read,
            id="a member who was not shown the reporter message",
        ),
        pytest.param(
            K.reporter_message, "ben", (), [], ["cai"], Refusal.text_not_read,
            id="someone else having read it does not count for this member",
        ),
        pytest.param(
            K.public_statement_text, "cai", (), ["dee"], [], Refusal.text_not_read,
            id="a public statement's text is read before it is approved",
        ),
        pytest.param(
            K.review_outcome, "ben", (), [], [], None,
            id="a decision without a text needs no reading",
        ),
        pytest.param(
            K.public_statement_decision, "ben", (), [], [], None,
            id="whether to make a statement is decided on its summary",
        ),
        pytest.param(
            K.reporter_message, "dee", (), ["dee"], ["dee"], Refusal.already_counted,
            id="the member who wrote the text approving it is not a second member",
        ),
        pytest.param(
            K.reporter_message, "ben", {"ben"}, [], [], Refusal.conflicted,
            id="conflicted is reported before not read",
        ),
        pytest.param(
            K.reporter_message, "zed", (), [], ["zed"], Refusal.unknown_member,
            id="being shown a text does not make someone a member",
        ),
        pytest.param(
            K.reporter_message, CARE, (), [], [], Refusal.unknown_member,
            id="CARE itself never approves what it drafted",
        ),
    ],
)  # fmt: skip
def test_may_approve_text(
    kind: DecisionKind,
    member: str,
    conflicted: Collection[str],
    counted: list[str],
    shown: list[str],
    expected: Refusal | None,
) -> None:
    refusal = may_approve_text(
        kind, member=member, members=FIVE, conflicted=conflicted, counted=counted, shown=shown
    )
    assert refusal is expected


@pytest.mark.parametrize("kind", list(DecisionKind))
def test_only_texts_ask_to_be_read(kind: DecisionKind) -> None:
    refusal = may_approve_text(
        kind, member="ben", members=FIVE, conflicted=(), counted=(), shown=()
    )
    assert (refusal is Refusal.text_not_read) is (kind in TEXT_KINDS)


def test_a_text_not_read_is_refused_in_plain_words() -> None:
    words = REASONS[Refusal.text_not_read]
    assert words == "you have not read this text yet: open it in the console first"


@pytest.mark.parametrize("kind", list(DecisionKind))
def test_only_public_statements_and_the_transparency_report_need_the_team(
    kind: DecisionKind,
) -> None:
    six = team("a1", "a2", "a3", "a4", "a5", "a6")
    expected = 4 if kind in TEAM_KINDS else 2
    assert required_approvals(kind, members=six, conflicted=()) == expected


@pytest.mark.parametrize(
    ("kind", "members", "conflicted", "expected"),
    [
        pytest.param(K.reporter_message, FIVE, (), 2, id="a reporter message needs two members"),
        pytest.param(
            K.public_statement_decision, FIVE, {"eli"}, 3,
            id="a team of 5 with one conflicted needs 3 for a public statement",
        ),
        pytest.param(K.public_statement_decision, FIVE, (), 3, id="a team of 5 needs 3"),
        pytest.param(
            K.transparency_report, team("a", "b", "c", "d", "e", "f"), (), 4,
            id="a majority is strictly more than half",
        ),
        pytest.param(K.public_statement_text, team("ana", "ben"), (), 2, id="a team of 2 needs 2"),
        pytest.param(
            K.public_statement_decision, team("ana", "ben", "cai"), {"ben", "cai"}, 2,
            id="the team quorum is never less than two",
        ),
        pytest.param(
            K.public_statement_decision, team("ana", "ben", "cai", inactive=["x", "y"]), (), 2,
            id="inactive members do not count towards the majority",
        ),
    ],
)  # fmt: skip
def test_required_approvals(
    kind: DecisionKind,
    members: dict[str, MemberView],
    conflicted: Collection[str],
    expected: int,
) -> None:
    assert required_approvals(kind, members=members, conflicted=conflicted) == expected


QUORUM_CASES = [
    pytest.param(K.review_outcome, "ana", ["ben"], FIVE, (), True, id="proposer + one other"),
    pytest.param(K.review_outcome, "ana", [], FIVE, (), False, id="the proposer alone"),
    pytest.param(
        K.reporter_message, "ana", ["ana"], FIVE, (), False,
        id="proposer approving twice is not two members",
    ),
    pytest.param(
        K.resolution, "ana", ["ben", "ben"], FIVE, (), True,
        id="the same approver twice counts once",
    ),
    pytest.param(
        K.review_outcome, "ana", ["ben"], FIVE, {"ben"}, False,
        id="a conflicted approver does not count",
    ),
    pytest.param(
        K.review_outcome, "ana", ["old"], team("ana", "ben", inactive=["old"]), (), False,
        id="an inactive approver does not count",
    ),
    pytest.param(
        K.review_outcome, "ana", ["ben"], FIVE, {"ana"}, False,
        id="a conflicted proposer does not count as one",
    ),
    pytest.param(
        K.review_outcome, "ana", ["ben", "cai"], FIVE, {"ana"}, True,
        id="a conflicted proposer's decision needs two other members",
    ),
    pytest.param(
        K.erasure, "ana", ["zed"], FIVE, (), False, id="an unknown member does not count",
    ),
    pytest.param(
        K.other, "", ["ben", "cai"], FIVE, (), True, id="two approvers without a proposer",
    ),
    pytest.param(
        K.public_statement_decision, "ana", ["ben"], FIVE, {"eli"}, False,
        id="a public statement is not decided by two",
    ),
    pytest.param(
        K.public_statement_decision, "ana", ["ben", "cai"], FIVE, {"eli"}, True,
        id="a team of 5 with one conflicted decides a public statement with 3",
    ),
    pytest.param(
        K.public_statement_decision, "ana", ["ben", "eli"], FIVE, {"eli"}, False,
        id="a conflicted member does not make the majority",
    ),
    pytest.param(
        K.public_statement_text, "ana", ["ben"], team("ana", "ben"), (), True,
        id="a team of 2 decides together",
    ),
    pytest.param(
        K.transparency_report, "ana", ["ben", "cai"], team("ana", "ben", "cai"), {"ben", "cai"},
        False, id="a team of 3 with 2 conflicted can never reach the team quorum",
    ),
    pytest.param(
        K.reporter_message, CARE, ["ben"], FIVE, (), False,
        id="a message CARE drafted is not approved by one member",
    ),
    pytest.param(
        K.reporter_message, CARE, ["ben", "cai"], FIVE, (), True,
        id="a message CARE drafted is approved by two members",
    ),
    pytest.param(
        K.reporter_message, CARE, ["ben", "ben"], FIVE, (), False,
        id="one member approving a drafted message twice is not two",
    ),
    pytest.param(
        K.public_statement_decision, CARE, ["ana", "ben"], FIVE, (), False,
        id="a statement CARE opened needs a majority of members, CARE not among them",
    ),
    pytest.param(
        K.public_statement_decision, CARE, ["ana", "ben", "cai"], FIVE, (), True,
        id="a statement CARE opened is decided by 3 members of 5",
    ),
    pytest.param(
        K.public_statement_text, "dee", ["ben", "cai"], FIVE, (), True,
        id="the member who wrote the statement counts as one of the majority",
    ),
    pytest.param(
        K.reporter_message, "dee", ["ben"], FIVE, (), True,
        id="the member who wrote the message and one reader",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "proposer", "approvers", "members", "conflicted", "expected"), QUORUM_CASES
)
def test_has_quorum(
    kind: DecisionKind,
    proposer: str,
    approvers: list[str],
    members: dict[str, MemberView],
    conflicted: Collection[str],
    expected: bool,
) -> None:
    assert (
        has_quorum(
            kind, proposer=proposer, approvers=approvers, members=members, conflicted=conflicted
        )
        is expected
    )


@pytest.mark.parametrize(
    ("proposer", "approvers", "conflicted", "expected"),
    [
        pytest.param("cai", ["ben", "ana"], (), ["cai", "ben", "ana"], id="proposer first"),
        pytest.param("cai", ["cai", "ben", "ben"], (), ["cai", "ben"], id="each member once"),
        pytest.param("cai", ["ben", "ana"], {"cai"}, ["ben", "ana"], id="conflicted proposer"),
        pytest.param("ana", ["zed", "ben"], {"ben"}, ["ana"], id="unknown and conflicted left out"),
        pytest.param(CARE, ["ben", "ana"], (), ["ben", "ana"], id="CARE drafted: no proposer"),
    ],
)
def test_counted_approvers(
    proposer: str, approvers: list[str], conflicted: Collection[str], expected: list[str]
) -> None:
    counted = counted_approvers(
        K.review_outcome,
        proposer=proposer,
        approvers=approvers,
        members=FIVE,
        conflicted=conflicted,
    )
    assert counted == expected


@pytest.mark.parametrize(
    ("members", "conflicted", "counted", "expected"),
    [
        pytest.param(FIVE, (), [], ["ana", "ben", "cai", "dee", "eli"], id="everyone, sorted"),
        pytest.param(FIVE, {"ben"}, ["ana"], ["cai", "dee", "eli"], id="not conflicted, not yet"),
        pytest.param(team("ana", inactive=["old"]), (), [], ["ana"], id="only active members"),
        pytest.param(team("ana", "ben"), (), ["ben", "ana"], [], id="nobody left"),
    ],
)
def test_eligible_approvers(
    members: dict[str, MemberView],
    conflicted: Collection[str],
    counted: list[str],
    expected: list[str],
) -> None:
    assert eligible_approvers(members=members, conflicted=conflicted, counted=counted) == expected


def test_decision_statuses_are_the_strings_the_record_stores() -> None:
    stored = {"pending", "approved", "objected", "withdrawn"}  # what decisions.status holds
    assert {s.value for s in DecisionStatus} == stored
    assert all(s.name == s.value and s == s.value for s in DecisionStatus)
