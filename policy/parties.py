"""The people involved in an incident: roles, pseudonyms, what may change, what may merge.

Outside the decrypted record a party is only its pseudonym, P1, P2…, numbered in the order
the parties were recorded and never reused. Two entries found to be one person are merged:
the one merged away keeps its pseudonym, which from then on stands for the other.
A refusal here never repeats what a member typed (it may go into a Prefect form).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    reporter = "reporter"
    reported = "reported"  # the reported person: a possible bad actor
    target = "target"
    witness = "witness"


ROLES = tuple(r.value for r in Role)
# the words members use for a role, as well as its own name
ROLE_WORDS = {
    "reported person": Role.reported,
    "reported": Role.reported,
    "bad actor": Role.reported,
    "reporter": Role.reporter,
    "target": Role.target,
    "witness": Role.witness,
}
EDITABLE = frozenset({"role", "name", "contact", "description"})
_PSEUDONYM = re.compile(r"P([1-9]\d{0,3})")
MAX_NAME = 200
MAX_CONTACT = 200
MAX_DESCRIPTION = 4000


class PartyRefused(ValueError):
    """A party cannot be recorded, changed or merged like this (the reason, in plain words)."""


def role(word: str) -> Role:
    """The role a member's word stands for: "Reported person" -> reported."""
    found = ROLE_WORDS.get(" ".join(word.lower().replace("_", " ").split()))
    if found is None:
        raise PartyRefused(f"the role must be one of {', '.join(ROLES)}")
    return found


def is_pseudonym(text: str) -> bool:
    return _PSEUDONYM.fullmatch(text) is not None


def pseudonym_number(text: str) -> int:
    match = _PSEUDONYM.fullmatch(text.strip().upper())
    if match is None:
        raise PartyRefused("a party is named by its pseudonym, such as P1")
    return int(match.group(1))


def next_pseudonym(existing: Collection[str]) -> str:
    """The next free pseudonym: one more than the highest ever given (never reused)."""
    numbers = [pseudonym_number(p) for p in existing if is_pseudonym(p)]
    return f"P{max(numbers, default=0) + 1}"


def check_edit(changes: Mapping[str, str | None]) -> dict[str, str | None]:
    """The changes a member may make to a party, cleaned; raise for any other field."""
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        raise PartyRefused(
            f"only {', '.join(sorted(EDITABLE))} of a party can change, not {', '.join(unknown)}"
        )
    if not changes:
        raise PartyRefused("say what to change: role, name, contact or description")
    cleaned: dict[str, str | None] = {}
    for field, value in changes.items():
        text = (value or "").strip()
        cleaned[field] = role(text).value if field == "role" else (text or None)
    check_lengths(cleaned)
    return cleaned


def check_lengths(values: Mapping[str, str | None]) -> None:
    limits = {"name": MAX_NAME, "contact": MAX_CONTACT, "description": MAX_DESCRIPTION}
    for field, limit in limits.items():
        if len(values.get(field) or "") > limit:
            raise PartyRefused(f"a party's {field} can be at most {limit} characters")


@dataclass(frozen=True)
class PartyView:
    """What the merge rules need of a party: its pseudonym and what it was merged into."""

    pseudonym: str
    merged_into: str | None = None


def merge_refusal(merged: PartyView, into: PartyView) -> str | None:
    """Why ``merged`` may not be merged into ``into``, or None if it may."""
    if merged.pseudonym == into.pseudonym:
        return f"{merged.pseudonym} cannot be merged into itself"
    if merged.merged_into is not None:
        return f"{merged.pseudonym} was already merged into {merged.merged_into}"
    if into.merged_into is not None:
        return (
            f"{into.pseudonym} was merged into {into.merged_into}: "
            f"merge into {into.merged_into} instead"
        )
    return None


def merged_values(
    kept: Mapping[str, str | None], merged: Mapping[str, str | None]
) -> dict[str, str | None]:
    """What the kept party knows after a merge: its own values, the gaps filled."""
    return {
        field: kept.get(field) or merged.get(field) for field in ("name", "contact", "description")
    }


def parse_new_parties(text: str) -> list[tuple[Role, str]]:
    """ "role: name" entries, one a line or separated by semicolons, as (role, name)."""
    entries: list[tuple[Role, str]] = []
    pieces = [p.strip() for line in text.splitlines() for p in line.split(";")]
    for position, piece in enumerate((p for p in pieces if p), start=1):
        word, colon, name = piece.partition(":")
        if not colon or not name.strip():
            raise PartyRefused(
                'each new party is "role: name", for example "reported: the name"; '
                f"entry {position} is not"
            )
        try:
            found = role(word)
        except PartyRefused as exc:
            raise PartyRefused(f"entry {position}: {exc}") from exc
        if len(name.strip()) > MAX_NAME:
            raise PartyRefused(f"entry {position}: a name can be at most {MAX_NAME} characters")
        entries.append((found, name.strip()))
    return entries
