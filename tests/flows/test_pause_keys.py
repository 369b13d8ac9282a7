"""Pause keys: what the flows suspend with is what the host's sweep reads back."""

from __future__ import annotations

import pytest

from flows import pause_keys as keys
from flows.waiting import STEP


@pytest.mark.parametrize("decision_id", [1, 12, 40917])
@pytest.mark.parametrize("step", [keys.awaiting_decision, keys.signoff_form])
def test_a_run_waiting_on_a_decision_names_it_in_its_pause_key(
    step: object, decision_id: int
) -> None:
    name = step(decision_id)  # type: ignore[operator]
    assert STEP.fullmatch(name)  # flows.waiting accepts it as a step
    key = keys.pause_key(name)
    assert key != keys.pause_key(name)  # a fresh key for every suspension
    assert keys.waited_decision(key) == decision_id


@pytest.mark.parametrize(
    "step",
    ["review-c-1", "ack", "ack-blocked", keys.signoff_blocked(7), "findings-c-3", "text-c-0-0"],
)
def test_other_suspensions_wait_on_no_decision(step: str) -> None:
    assert STEP.fullmatch(step)
    assert keys.waited_decision(keys.pause_key(step)) is None


def test_a_key_without_its_suffix_or_with_more_is_no_decision_wait() -> None:
    assert keys.waited_decision(None) is None
    assert keys.waited_decision(keys.awaiting_decision(3)) is None
    assert keys.waited_decision(keys.pause_key(keys.awaiting_decision(3)) + "-x") is None
    assert keys.waited_decision("await-d3-3f9a0c1b2e") == 3  # as keys of earlier releases
