"""What must follow an act once its transaction has committed (carried out by the channel)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApprovalNotice:
    """Announce an answer on a decision in the team channel (codes and handles only)."""

    decision_id: int
    approval_id: int


@dataclass(frozen=True)
class FollowUp:
    """The announcements to post, the suspended runs to wake, an erasure to carry out."""

    announce: tuple[ApprovalNotice, ...] = ()
    wake: tuple[str, ...] = ()  # ids of Prefect runs that wait on the record (suspended)
    erase: int | None = None  # an erasure decision approved just now
    actor: str = "care"


NOTHING = FollowUp()
