"""Sign-off: who may approve a decision and when a decision has its quorum."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum

from policy.members import MemberView, available


class DecisionKind(StrEnum):
    """What a decision is about; it sets which quorum the decision needs."""

    review_outcome = "review_outcome"
    reporter_message = "reporter_message"
    public_statement_decision = "public_statement_decision"
    public_statement_text = "public_statement_text"
    unilateral_action_review = "unilateral_action_review"
    conflict_waiver = "conflict_waiver"
    erasure = "erasure"
    transparency_report = "transparency_report"
    resolution = "resolution"
    other = "other"


class DecisionStatus(StrEnum):
    """Where a decision stands; the values are the strings stored in ``decisions.status``."""

    pending = "pending"
    approved = "approved"
    objected = "objected"
    withdrawn = "withdrawn"


class Refusal(StrEnum):
    """Why an approval was not counted."""

    conflicted = "conflicted"
    inactive = "inactive"
    already_counted = "already_counted"
    unknown_member = "unknown_member"
    bad_code = "bad_code"
    code_reused = "code_reused"
    decision_closed = "decision_closed"
    text_not_read = "text_not_read"


# Refusals in words a member reads where a channel has none of its own.
REASONS: dict[str, str] = {
    Refusal.text_not_read: "you have not read this text yet: open it in the console first",
}


TEAM_KINDS = frozenset(
    {
        DecisionKind.public_statement_decision,
        DecisionKind.public_statement_text,
        DecisionKind.transparency_report,
    }
)
# Decisions whose subject is a text CARE sends or publishes: approving one means having read it.
TEXT_KINDS = frozenset({DecisionKind.reporter_message, DecisionKind.public_statement_text})
PAIR = 2
# The proposer of what CARE drafted or opened itself: no member, so it adds no approval.
CARE = ""


def may_approve(
    *,
    member: str,
    members: Mapping[str, MemberView],
    conflicted: Collection[str],
    counted: Collection[str],
) -> Refusal | None:
    """None if this member's approval may count, else the first reason it may not."""
    view = members.get(member)
    if view is None:
        return Refusal.unknown_member
    if not view.active:
        return Refusal.inactive
    if member in conflicted:
        return Refusal.conflicted
    if member in counted:
        return Refusal.already_counted
    return None


def may_approve_text(
    kind: DecisionKind,
    *,
    member: str,
    members: Mapping[str, MemberView],
    conflicted: Collection[str],
    counted: Collection[str],
    shown: Collection[str],
) -> Refusal | None:
    """`may_approve`, and for a text only a member who was shown it (``shown``)."""
    refusal = may_approve(member=member, members=members, conflicted=conflicted, counted=counted)
    if refusal is None and kind in TEXT_KINDS and member not in shown:
        return Refusal.text_not_read
    return refusal


def required_approvals(
    kind: DecisionKind, *, members: Mapping[str, MemberView], conflicted: Collection[str]
) -> int:
    """How many distinct eligible members must approve (the proposer included)."""
    if kind not in TEAM_KINDS:
        return PAIR
    return max(PAIR, len(available(members, conflicted)) // 2 + 1)


def counted_approvers(
    kind: DecisionKind,
    *,
    proposer: str,
    approvers: Sequence[str],
    members: Mapping[str, MemberView],
    conflicted: Collection[str],
) -> list[str]:
    """Distinct eligible approvers in order, the proposer first if eligible.

    The proposer is the member who wrote or proposed the decision; for what CARE drafted
    it is `CARE`, who is no member and counts for nothing.
    """
    counted: list[str] = []
    for handle in (proposer, *approvers):
        if may_approve(member=handle, members=members, conflicted=conflicted, counted=counted):
            continue
        counted.append(handle)
    return counted


def has_quorum(
    kind: DecisionKind,
    *,
    proposer: str,
    approvers: Sequence[str],
    members: Mapping[str, MemberView],
    conflicted: Collection[str],
) -> bool:
    """True when enough distinct eligible members (the proposer included) approved."""
    counted = counted_approvers(
        kind, proposer=proposer, approvers=approvers, members=members, conflicted=conflicted
    )
    return len(counted) >= required_approvals(kind, members=members, conflicted=conflicted)


def eligible_approvers(
    *, members: Mapping[str, MemberView], conflicted: Collection[str], counted: Collection[str]
) -> list[str]:
    """Handles that could still approve, sorted."""
    done = set(counted)
    return [h for h in available(members, conflicted) if h not in done]
