"""Conversations with parties: two members, neither conflicted nor a friend of the party."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from policy.members import MemberView, available


class NoPairAvailable(ValueError):
    """Fewer than two members may hold this conversation."""


def choose_conversation_pair(
    *,
    members: Mapping[str, MemberView],
    conflicted: Collection[str],
    friends_of_party: Collection[str] = (),
    busy: Mapping[str, int] | None = None,
    exclude: Collection[str] = (),
) -> tuple[str, str]:
    """The two least busy eligible members, ties broken by handle."""
    load = busy or {}
    blocked = set(friends_of_party) | set(exclude)
    eligible = [h for h in available(members, conflicted) if h not in blocked]
    if len(eligible) < 2:
        raise NoPairAvailable(
            "a conversation needs two members who are active, not conflicted, not a friend"
            f" of the party and not excluded; only {len(eligible)} eligible"
        )
    first, second = sorted(eligible, key=lambda h: (load.get(h, 0), h))[:2]
    return first, second
