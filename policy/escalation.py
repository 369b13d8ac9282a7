"""Timed escalation for urgent incidents: who is paged in which round, and when."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from policy.members import MemberView, available

TARGETS = ("primary", "secondary", "all")
STEP_KEYS = frozenset({"target", "wait_s", "repeat_every_s"})


def _positive_int(value: object, what: str) -> None:
    """Raise ValueError unless value is a whole number of seconds above zero."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{what} must be a whole number of seconds above 0, not {value!r}")


@dataclass(frozen=True)
class EscalationStep:
    """Page a target, wait wait_s for an ACK; a last step repeats every repeat_every_s."""

    target: str  # "primary" | "secondary" | "all"
    wait_s: int
    repeat_every_s: int | None = None

    def __post_init__(self) -> None:
        """Reject an unknown target and non-positive waits."""
        if self.target not in TARGETS:
            allowed = ", ".join(TARGETS)
            raise ValueError(f"unknown escalation target {self.target!r}; allowed: {allowed}")
        _positive_int(self.wait_s, "wait_s")
        if self.repeat_every_s is not None:
            _positive_int(self.repeat_every_s, "repeat_every_s")

    def to_dict(self) -> dict[str, Any]:
        """This step as JSON-ready data."""
        return {"target": self.target, "wait_s": self.wait_s, "repeat_every_s": self.repeat_every_s}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EscalationStep:
        """A step from stored data; ValueError if it is malformed."""
        if not isinstance(data, Mapping):
            raise ValueError(f"an escalation step must be an object, not {data!r}")
        unknown = sorted(set(data) - STEP_KEYS)
        if unknown:
            raise ValueError(f"unknown keys in escalation step: {', '.join(map(str, unknown))}")
        if "target" not in data or "wait_s" not in data:
            raise ValueError("an escalation step needs a target and wait_s")
        return cls(data["target"], data["wait_s"], data.get("repeat_every_s"))


@dataclass(frozen=True)
class EscalationPolicy:
    """The steps of an escalation, walked in order until someone acknowledges."""

    steps: tuple[EscalationStep, ...]

    def __post_init__(self) -> None:
        """Reject an empty policy and a repeating step that is not the last."""
        if not self.steps:
            raise ValueError("an escalation policy needs at least one step")
        for number, step in enumerate(self.steps[:-1], start=1):
            if step.repeat_every_s is not None:
                raise ValueError(f"only the last step may repeat; step {number} repeats")

    @classmethod
    def default(cls) -> EscalationPolicy:
        """Primary on-call, after 5 minutes the secondary, then everyone every 10 minutes."""
        return cls(
            (
                EscalationStep("primary", 300),
                EscalationStep("secondary", 300),
                EscalationStep("all", 600, repeat_every_s=600),
            )
        )

    def to_dict(self) -> dict[str, Any]:
        """This policy as JSON-ready data."""
        return {"steps": [step.to_dict() for step in self.steps]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EscalationPolicy:
        """A policy from stored data; ValueError if it is malformed."""
        steps = data.get("steps") if isinstance(data, Mapping) else None
        if not isinstance(steps, list | tuple):
            raise ValueError(f"an escalation policy must be {{'steps': [...]}}, not {data!r}")
        return cls(tuple(EscalationStep.from_dict(step) for step in steps))


@dataclass(frozen=True)
class PageRound:
    """One round of pages: which step, when it is due, and whom it pages."""

    index: int  # 0-based round number
    step_index: int
    due_at_s: float  # seconds after escalation start
    targets: tuple[str, ...]


def escalation_targets(
    step: EscalationStep, *, members: Mapping[str, MemberView], conflicted: Collection[str]
) -> tuple[str, ...]:
    """Whom a step pages, falling through primary -> secondary -> all if nobody is left."""
    eligible = available(members, conflicted)
    for tier in TARGETS[TARGETS.index(step.target) :]:
        found = [h for h in eligible if tier == "all" or members[h].tier == tier]
        if found:
            return tuple(found)
    return ()


def _step_index(policy: EscalationPolicy, index: int) -> int | None:
    """Which step round ``index`` uses, or None once a non-repeating policy is done."""
    if index < 0:
        raise ValueError(f"a round number cannot be negative: {index}")
    last = len(policy.steps) - 1
    if index <= last:
        return index
    return last if policy.steps[last].repeat_every_s is not None else None


def round_due_at(policy: EscalationPolicy, index: int) -> float | None:
    """Seconds after the start when round ``index`` is due, or None if there is none."""
    step_index = _step_index(policy, index)
    if step_index is None:
        return None
    before = sum(step.wait_s for step in policy.steps[:step_index])
    repeats = index - step_index
    return float(before + repeats * (policy.steps[-1].repeat_every_s or 0))


def next_escalation_round(
    policy: EscalationPolicy,
    *,
    elapsed_s: float,
    rounds_done: int,
    members: Mapping[str, MemberView],
    conflicted: Collection[str],
) -> PageRound | None:
    """The round after ``rounds_done`` rounds, or None once the policy is exhausted."""
    step_index = _step_index(policy, rounds_done)
    due = round_due_at(policy, rounds_done)
    if step_index is None or due is None:
        return None
    step = policy.steps[step_index]
    targets = escalation_targets(step, members=members, conflicted=conflicted)
    return PageRound(index=rounds_done, step_index=step_index, due_at_s=due, targets=targets)
