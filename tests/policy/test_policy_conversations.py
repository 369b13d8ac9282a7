"""Conversations with parties: two members, not conflicted, not the party's friends."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pytest

from policy.conversations import NoPairAvailable, choose_conversation_pair
from policy.members import MemberView


def team(*handles: str, inactive: Collection[str] = ()) -> dict[str, MemberView]:
    """Members by handle; those named in ``inactive`` are inactive."""
    return {h: MemberView(handle=h, active=h not in inactive) for h in (*handles, *inactive)}


FOUR = team("ana", "ben", "cai", "dee")


@pytest.mark.parametrize(
    ("members", "conflicted", "friends", "busy", "exclude", "expected"),
    [
        pytest.param(FOUR, (), (), None, (), ("ana", "ben"), id="nobody busy: first by handle"),
        pytest.param(
            FOUR, (), (), {"ana": 2, "ben": 1}, (), ("cai", "dee"),
            id="the least busy members hold the conversation",
        ),
        pytest.param(
            FOUR, (), (), {"ana": 1, "ben": 1, "cai": 1, "dee": 0}, (), ("dee", "ana"),
            id="least busy first, ties broken by handle",
        ),
        pytest.param(
            FOUR, {"ana", "cai"}, (), None, (), ("ben", "dee"),
            id="conflicted members are not assigned",
        ),
        pytest.param(
            FOUR, (), {"ana"}, None, (), ("ben", "cai"),
            id="conversations with offenders are not done by their friends",
        ),
        pytest.param(
            team("ana", "ben", "cai", inactive=["old"]), (), (), {"old": 0, "ana": 3}, (),
            ("ben", "cai"), id="inactive members are not assigned",
        ),
        pytest.param(
            FOUR, (), (), None, {"ben"}, ("ana", "cai"), id="excluded members are not assigned",
        ),
    ],
)  # fmt: skip
def test_choose_conversation_pair(
    members: dict[str, MemberView],
    conflicted: Collection[str],
    friends: Collection[str],
    busy: Mapping[str, int] | None,
    exclude: Collection[str],
    expected: tuple[str, str],
) -> None:
    pair = choose_conversation_pair(
        members=members, conflicted=conflicted, friends_of_party=friends, busy=busy, exclude=exclude
    )
    assert pair == expected


@pytest.mark.parametrize(
    ("members", "conflicted", "friends", "eligible"),
    [
        pytest.param(FOUR, {"ana", "ben"}, {"cai"}, 1, id="one member left is not two"),
        pytest.param(team("ana", inactive=["old"]), (), (), 1, id="a team of one active member"),
        pytest.param(FOUR, set(FOUR), (), 0, id="everyone conflicted"),
    ],
)
def test_no_pair_available(
    members: dict[str, MemberView],
    conflicted: Collection[str],
    friends: Collection[str],
    eligible: int,
) -> None:
    with pytest.raises(NoPairAvailable, match=f"only {eligible} eligible"):
        choose_conversation_pair(members=members, conflicted=conflicted, friends_of_party=friends)
