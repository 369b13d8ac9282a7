"""Timed escalation: primary, then secondary after 5 minutes, then everyone every 10."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

import pytest

from policy.escalation import (
    EscalationPolicy,
    EscalationStep,
    PageRound,
    escalation_targets,
    next_escalation_round,
    round_due_at,
)
from policy.members import MemberView

DEFAULT = EscalationPolicy.default()
QUICK = EscalationPolicy((EscalationStep("primary", 1), EscalationStep("all", 2)))
ODD = EscalationPolicy((EscalationStep("primary", 3), EscalationStep("all", 5, repeat_every_s=2)))
ON_CALL = {
    "ana": MemberView("ana", True, "primary"),
    "ben": MemberView("ben", True, "secondary"),
    "cai": MemberView("cai", True),
    "dee": MemberView("dee", True, "secondary"),
    "old": MemberView("old", False, "primary"),
}
EVERYONE = ("ana", "ben", "cai", "dee")


def test_default_policy_is_the_guide_spec() -> None:
    assert DEFAULT.steps == (
        EscalationStep("primary", 300),
        EscalationStep("secondary", 300),
        EscalationStep("all", 600, repeat_every_s=600),
    )


@pytest.mark.parametrize(
    ("policy", "rounds_done", "conflicted", "expected"),
    [
        pytest.param(DEFAULT, 0, (), PageRound(0, 0, 0.0, ("ana",)), id="primary on-call at once"),
        pytest.param(
            DEFAULT, 1, (), PageRound(1, 1, 300.0, ("ben", "dee")),
            id="after 5 minutes the secondary",
        ),
        pytest.param(DEFAULT, 2, (), PageRound(2, 2, 600.0, EVERYONE), id="then every member"),
        pytest.param(DEFAULT, 3, (), PageRound(3, 2, 1200.0, EVERYONE), id="repeated at 20 min"),
        pytest.param(DEFAULT, 4, (), PageRound(4, 2, 1800.0, EVERYONE), id="repeated at 30 min"),
        pytest.param(
            DEFAULT, 0, {"ana"}, PageRound(0, 0, 0.0, ("ben", "dee")),
            id="the only primary is conflicted: the page falls through to the secondary",
        ),
        pytest.param(
            DEFAULT, 1, {"ben"}, PageRound(1, 1, 300.0, ("dee",)),
            id="a conflicted secondary is not paged",
        ),
        pytest.param(
            DEFAULT, 0, {"ana", "ben", "dee"}, PageRound(0, 0, 0.0, ("cai",)),
            id="primary and secondaries conflicted: every other member is paged",
        ),
        pytest.param(
            DEFAULT, 4, {"cai"}, PageRound(4, 2, 1800.0, ("ana", "ben", "dee")),
            id="a conflicted member is skipped in the repeated rounds too",
        ),
        pytest.param(
            QUICK, 1, (), PageRound(1, 1, 1.0, EVERYONE),
            id="a custom 3-second policy pages everyone after 1 s",
        ),
        pytest.param(QUICK, 2, (), None, id="a policy that does not repeat ends"),
    ],
)  # fmt: skip
def test_next_escalation_round(
    policy: EscalationPolicy,
    rounds_done: int,
    conflicted: Collection[str],
    expected: PageRound | None,
) -> None:
    page = next_escalation_round(
        policy, elapsed_s=12345.0, rounds_done=rounds_done, members=ON_CALL, conflicted=conflicted
    )
    assert page == expected


@pytest.mark.parametrize(
    ("policy", "index", "expected"),
    [
        pytest.param(DEFAULT, 0, 0.0, id="the first page goes out at once"),
        pytest.param(DEFAULT, 2, 600.0, id="everyone after 10 minutes"),
        pytest.param(DEFAULT, 10, 5400.0, id="every 10 minutes until acknowledged"),
        pytest.param(QUICK, 1, 1.0, id="quick policy second round"),
        pytest.param(QUICK, 2, None, id="quick policy has no third round"),
        pytest.param(ODD, 1, 3.0, id="the last step is due after the waits before it"),
        pytest.param(ODD, 3, 7.0, id="the last step repeats every repeat_every_s"),
    ],
)
def test_round_due_at(policy: EscalationPolicy, index: int, expected: float | None) -> None:
    assert round_due_at(policy, index) == expected


def test_negative_round_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        round_due_at(DEFAULT, -1)


@pytest.mark.parametrize(
    ("target", "members", "expected"),
    [
        pytest.param("primary", ON_CALL, ("ana",), id="the primary on-call"),
        pytest.param("secondary", ON_CALL, ("ben", "dee"), id="the secondaries, sorted"),
        pytest.param("all", ON_CALL, EVERYONE, id="every active member"),
        pytest.param(
            "secondary", {"ana": MemberView("ana", True, "primary")}, ("ana",),
            id="no secondary on call: everyone is paged",
        ),
        pytest.param("all", {"old": MemberView("old", False)}, (), id="nobody active at all"),
    ],
)  # fmt: skip
def test_escalation_targets(
    target: str, members: dict[str, MemberView], expected: tuple[str, ...]
) -> None:
    step = EscalationStep(target, 60)
    assert escalation_targets(step, members=members, conflicted=()) == expected


@pytest.mark.parametrize("policy", [DEFAULT, QUICK], ids=["default", "quick"])
def test_policy_survives_json(policy: EscalationPolicy) -> None:
    assert EscalationPolicy.from_dict(json.loads(json.dumps(policy.to_dict()))) == policy


@pytest.mark.parametrize(
    ("data", "error"),
    [
        pytest.param({"steps": []}, "at least one step", id="no steps"),
        pytest.param({}, "must be", id="no steps key"),
        pytest.param({"steps": [{"target": "boss", "wait_s": 60}]}, "unknown escalation target",
                     id="unknown target"),
        pytest.param({"steps": [{"target": "all", "wait_s": 0}]}, "wait_s must be",
                     id="zero wait"),
        pytest.param({"steps": [{"target": "all", "wait_s": -5}]}, "wait_s must be",
                     id="negative wait"),
        pytest.param({"steps": [{"target": "all", "wait_s": 60, "repeat_every_s": 0}]},
                     "repeat_every_s must be", id="repeating every 0 seconds"),
        pytest.param({"steps": [{"target": "all", "wait_s": "60"}]}, "wait_s must be",
                     id="a wait that is not a number"),
        pytest.param(
            {"steps": [{"target": "primary", "wait_s": 60, "repeat_every_s": 60},
                       {"target": "all", "wait_s": 60}]},
            "only the last step may repeat", id="a repeating step before the last",
        ),
        pytest.param({"steps": [{"target": "all"}]}, "needs a target and wait_s",
                     id="a step without wait"),
        pytest.param({"steps": [{"target": "all", "wait_s": 5, "who": "x"}]}, "unknown keys",
                     id="an unknown key"),
    ],
)  # fmt: skip
def test_invalid_policy(data: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        EscalationPolicy.from_dict(data)
