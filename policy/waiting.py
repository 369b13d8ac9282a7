"""What waits on a member: the open steps of incidents and who each of them waits on.

A step of an incident's process waits on people: a review, information to gather, a
conversation with a bad actor, a text to write, a sign-off, an urgent case nobody has
acknowledged. A step waits on the active members without a conflict on the incident, only
the ones assigned to it if it has any (a conversation's two members), and not on those who
already gave their answer (a sign-off's counted approvers, its proposer included).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from policy.members import MemberView, available


class StepKind(StrEnum):
    """The kinds of step a member can be waited on for, in the order the console lists them."""

    urgent = "urgent"
    review = "review"
    findings = "findings"
    conversation = "conversation"
    text = "text"
    signoff = "signoff"


HEADINGS: Mapping[StepKind, str] = {
    StepKind.urgent: "Urgent: nobody has responded yet",
    StepKind.review: "Reviews to give",
    StepKind.findings: "Information to gather",
    StepKind.conversation: "Conversations assigned to you",
    StepKind.text: "Texts to write",
    StepKind.signoff: "Sign-offs you can give",
}
ORDER = list(StepKind)


@dataclass(frozen=True)
class OpenStep:
    """One step waiting on people; ``label`` says which, in words ("review, round 1")."""

    kind: StepKind
    incident_code: str | None
    label: str
    assigned: frozenset[str] = frozenset()  # only these members, if any
    conflicted: frozenset[str] = frozenset()
    done_by: frozenset[str] = frozenset()  # answered already (a sign-off's approvers)
    approvals: int = 0
    required: int = 0
    ref: int | None = None  # the decision's or conversation's id


@dataclass(frozen=True)
class Waiting:
    """A step and the members it waits on."""

    step: OpenStep
    members: list[str] = field(default_factory=list)


def step_name(kind: StepKind, code: str, round_: int | str) -> str:
    """The name a run's pause has for a step of an incident (``review-demo-1-2``)."""
    return f"{kind.value}-{code.lower()}-{round_}"


ANSWERS: Mapping[StepKind, str] = {
    StepKind.review: "Review",
    StepKind.findings: "Findings",
    StepKind.conversation: "Conversation notes",
    StepKind.text: "Text",
}


def kind_of(step: str) -> StepKind | None:
    """The kind of a lifecycle's pause step from its name, if it is one of them."""
    head = step.split("-", 1)[0]
    return StepKind(head) if head in StepKind.__members__ else None


def waits_on(step: OpenStep, members: Mapping[str, MemberView]) -> list[str]:
    """Handles of the members the step waits on, sorted."""
    pool = available(members, step.conflicted)
    if step.assigned:
        pool = [h for h in pool if h in step.assigned]
    return [h for h in pool if h not in step.done_by]


def waiting_on(
    steps: Iterable[OpenStep], *, member: str, members: Mapping[str, MemberView]
) -> list[OpenStep]:
    """The steps waiting on this member, urgent ones first, then in the process's order."""
    mine = [s for s in steps if member in waits_on(s, members)]
    return sorted(mine, key=lambda s: ORDER.index(s.kind))


def line(step: OpenStep) -> str:
    """The step as a sentence a member reads on the waiting page."""
    code = step.incident_code or "The team"
    if step.kind is StepKind.urgent:
        return f"Urgent case {code}: nobody has responded yet. Acknowledge it if you can help."
    if step.kind is StepKind.review:
        return f"{code}: record the outcome of the {step.label}."
    if step.kind is StepKind.findings:
        return f"{code}: gather what the review asked for and record the {step.label}."
    if step.kind is StepKind.conversation:
        held_by = " and ".join(sorted(step.assigned))
        return f"{code}: the {step.label}, held by {held_by}. Add the notes when it took place."
    if step.kind is StepKind.text:
        return f"{code}: write the {step.label}; two members sign it off."
    return (
        f"{code}: sign off the {step.label} ({step.approvals} of {step.required} approvals so far)."
    )


def notice(step: OpenStep, waiting: int) -> str:
    """The team channel's notice that a step waits: the case code, the step, how many.

    Never a name: members are counted, not named.
    """
    who = "1 member" if waiting == 1 else f"{waiting} members"
    return f"Waiting on *{step.incident_code or 'the team'}*: {step.label}. Waits on {who}."


def answered(kind: StepKind, code: str, handle: str, next_step: str | None) -> str:
    """The team channel's notice that an answer was recorded, and what comes next."""
    then = next_step or "the run carries on"
    return f"{ANSWERS.get(kind, 'Answer')} of *{code}* recorded by {handle}; next: {then}."


def refused(kind: StepKind, code: str, reason: str) -> str:
    """The team channel's notice that an answer was not recorded, and why (no names typed)."""
    what = ANSWERS.get(kind, "answer").lower()
    why = reason.rstrip(".")
    return f"An answer ({what}) on *{code}* was not recorded: {why}. The step is still open."
