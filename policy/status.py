"""An incident's status and the moves between statuses the process allows."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class IncidentStatus(StrEnum):
    """Where an incident stands in the team's process."""

    reported = "reported"
    acknowledged = "acknowledged"
    in_review = "in_review"
    gathering_information = "gathering_information"
    awaiting_signoff = "awaiting_signoff"
    in_conversation = "in_conversation"
    enacting = "enacting"
    informing_reporter = "informing_reporter"
    public_statement = "public_statement"
    closed = "closed"


S = IncidentStatus
TRANSITIONS: Mapping[IncidentStatus, frozenset[IncidentStatus]] = MappingProxyType(
    {
        S.reported: frozenset({S.acknowledged, S.in_review}),
        S.acknowledged: frozenset({S.in_review}),
        S.in_review: frozenset({S.gathering_information, S.awaiting_signoff}),
        S.gathering_information: frozenset({S.in_review}),
        S.awaiting_signoff: frozenset(
            {
                S.in_review,
                S.in_conversation,
                S.enacting,
                S.informing_reporter,
                S.public_statement,
                S.closed,
            }
        ),
        S.in_conversation: frozenset(
            {S.enacting, S.informing_reporter, S.public_statement, S.closed, S.in_review}
        ),
        S.enacting: frozenset({S.informing_reporter, S.public_statement, S.closed}),
        S.informing_reporter: frozenset({S.public_statement, S.closed}),
        S.public_statement: frozenset({S.closed}),
        S.closed: frozenset({S.in_review}),
    }
)


class IllegalTransition(ValueError):
    """A status change the process does not allow."""


def allowed_next(current: IncidentStatus) -> list[IncidentStatus]:
    """The statuses reachable from ``current``, in process order."""
    return [status for status in IncidentStatus if status in TRANSITIONS[current]]


def check_transition(current: IncidentStatus, new: IncidentStatus, *, code: str = "") -> None:
    """Raise IllegalTransition unless the process allows moving from current to new."""
    current, new = IncidentStatus(current), IncidentStatus(new)
    if new in TRANSITIONS[current]:
        return
    allowed = ", ".join(allowed_next(current)) or "nothing"
    where = f"{code}: " if code else ""
    raise IllegalTransition(f"{where}cannot go from {current} to {new}; allowed: {allowed}")
