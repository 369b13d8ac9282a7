"""How the policy rules see a team member: no personal data, only what the rules need."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

TIERS = ("primary", "secondary")


@dataclass(frozen=True)
class MemberView:
    """A member's handle, whether they are active, and their on-call tier right now."""

    handle: str
    active: bool
    tier: str | None = None


def available(members: Mapping[str, MemberView], conflicted: Collection[str]) -> list[str]:
    """Handles of active members without a conflict on the incident, sorted."""
    blocked = set(conflicted)
    return sorted(h for h, m in members.items() if m.active and h not in blocked)
