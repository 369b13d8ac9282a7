"""What waits on a member: every open step, for exactly the members it waits on."""

from __future__ import annotations

from typing import Any

import pytest

from policy.members import MemberView
from policy.waiting import (
    OpenStep,
    StepKind,
    answered,
    kind_of,
    line,
    notice,
    refused,
    step_name,
    waiting_on,
    waits_on,
)

K = StepKind
fs = frozenset
TEAM = {h: MemberView(handle=h, active=h != "old") for h in ("ana", "ben", "cai", "dee", "old")}


def step(kind: StepKind, label: str = "x", **kw: Any) -> OpenStep:
    return OpenStep(kind=kind, incident_code="DEMO-1", label=label, **kw)


@pytest.mark.parametrize(
    ("open_step", "expected"),
    [
        pytest.param(
            step(K.review), ["ana", "ben", "cai", "dee"],
            id="a review waits on every active member",
        ),
        pytest.param(
            step(K.review, conflicted=fs({"ben"})), ["ana", "cai", "dee"],
            id="not on a conflicted member",
        ),
        pytest.param(
            step(K.findings, conflicted=fs({"ana", "cai"})), ["ben", "dee"],
            id="findings: the non-conflicted",
        ),
        pytest.param(
            step(K.conversation, assigned=fs({"ana", "cai"})), ["ana", "cai"],
            id="a conversation waits on its two members",
        ),
        pytest.param(
            step(K.conversation, assigned=fs({"ana", "cai"}), conflicted=fs({"cai"})), ["ana"],
            id="not on an assigned member who declared a conflict since",
        ),
        pytest.param(
            step(K.text), ["ana", "ben", "cai", "dee"],
            id="a text to write waits on every active member",
        ),
        pytest.param(
            step(K.signoff, done_by=fs({"ana"})), ["ben", "cai", "dee"],
            id="a sign-off not on its proposer, who counts already",
        ),
        pytest.param(
            step(K.signoff, done_by=fs({"ana", "ben"}), conflicted=fs({"dee"})), ["cai"],
            id="nor on who approved, nor the conflicted",
        ),
        pytest.param(
            step(K.urgent, conflicted=fs({"dee"})), ["ana", "ben", "cai"],
            id="an urgent case waits on the non-conflicted",
        ),
        pytest.param(
            step(K.review, assigned=fs({"old"})), [],
            id="never on an inactive member",
        ),
    ],
)  # fmt: skip
def test_who_a_step_waits_on(open_step: OpenStep, expected: list[str]) -> None:
    assert waits_on(open_step, TEAM) == expected


def test_a_member_sees_every_step_waiting_on_them_urgent_first() -> None:
    steps = [
        step(K.signoff, done_by=fs({"ana"}), label="review outcome"),
        step(K.text, label="public statement"),
        step(K.review, label="review, round 1"),
        step(K.review, conflicted=fs({"ben"}), label="review, round 2"),
        step(K.conversation, assigned=fs({"ana", "cai"}), label="conversation with P1"),
        step(K.urgent, label="urgent"),
    ]
    kinds = [s.kind for s in waiting_on(steps, member="ben", members=TEAM)]
    assert kinds == [K.urgent, K.review, K.text, K.signoff]
    kinds = [s.kind for s in waiting_on(steps, member="ana", members=TEAM)]
    assert kinds == [K.urgent, K.review, K.review, K.conversation, K.text]
    assert waiting_on(steps, member="old", members=TEAM) == []
    assert waiting_on(steps, member="zed", members=TEAM) == []


@pytest.mark.parametrize(
    ("open_step", "expected"),
    [
        pytest.param(
            step(K.urgent),
            "Urgent case DEMO-1: nobody has responded yet. Acknowledge it if you can help.",
            id="urgent",
        ),
        pytest.param(
            step(K.review, label="review, round 2"),
            "DEMO-1: record the outcome of the review, round 2.",
            id="review",
        ),
        pytest.param(
            step(K.findings, label="findings, round 1"),
            "DEMO-1: gather what the review asked for and record the findings, round 1.",
            id="findings",
        ),
        pytest.param(
            step(K.conversation, label="conversation with P1", assigned=fs({"cai", "ana"})),
            "DEMO-1: the conversation with P1, held by ana and cai. "
            "Add the notes when it took place.",
            id="conversation",
        ),
        pytest.param(
            step(K.text, label="public statement"),
            "DEMO-1: write the public statement; two members sign it off.",
            id="text",
        ),
        pytest.param(
            step(K.signoff, label="review outcome", approvals=1, required=2),
            "DEMO-1: sign off the review outcome (1 of 2 approvals so far).",
            id="sign-off",
        ),
    ],
)
def test_each_line_is_a_sentence(open_step: OpenStep, expected: str) -> None:
    assert line(open_step) == expected


def test_notices_count_members_and_name_none() -> None:
    review = step(K.review, label="review, round 1")
    assert notice(review, 2) == "Waiting on *DEMO-1*: review, round 1. Waits on 2 members."
    assert notice(review, 1).endswith("Waits on 1 member.")
    assert (
        answered(K.review, "DEMO-1", "demo-ana", "sign-off")
        == "Review of *DEMO-1* recorded by demo-ana; next: sign-off."
    )


def test_step_names_are_the_runs_pause_steps() -> None:
    assert step_name(K.review, "DEMO-1", 2) == "review-demo-1-2"
    assert step_name(K.text, "DEMO-1", "0-7") == "text-demo-1-0-7"
    assert kind_of("conversation-demo-1-3") is K.conversation
    assert kind_of("await-d12") is None


def test_a_refused_answer_is_heard_with_its_reason() -> None:
    assert refused(K.findings, "DEMO-1", "bad_code") == (
        "An answer (findings) on *DEMO-1* was not recorded: bad_code. The step is still open."
    )
    assert answered(K.text, "DEMO-1", "demo-ben", None).endswith("next: the run carries on.")
