"""Why an answer did not count, in the words a member reads."""

from __future__ import annotations

import pytest

from policy.refusals import SENTENCES, counted, not_counted, refusal_sentence, to_you
from policy.signoff import Refusal


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        pytest.param("bad_code", "the code was wrong or had expired", id="wrong or expired code"),
        pytest.param("code_reused", "the code was already used", id="a code counts once"),
        pytest.param(
            "conflicted",
            "not allowed to answer because they declared a conflict",
            id="a conflicted member",
        ),
        pytest.param(
            "unknown_member",
            "not allowed to answer because they are not on the team",
            id="not on the team",
        ),
        pytest.param(
            "inactive",
            "not allowed to answer because their membership is not active",
            id="an inactive member",
        ),
        pytest.param(
            "already_answered",
            "not allowed to answer because this step was already answered",
            id="someone answered first",
        ),
        pytest.param(
            "not_holder",
            "they do not hold this conversation",
            id="not one of the conversation's two",
        ),
        pytest.param("already_counted", "their answer was already counted", id="already counted"),
        pytest.param(
            "describe what happened",
            "describe what happened",
            id="a record's own explanation is kept as it is",
        ),
    ],
)
def test_each_refusal_reads_as_plain_words(reason: str, words: str) -> None:
    assert words in refusal_sentence(reason)
    assert not_counted("demo-ana", reason).startswith("The answer of demo-ana was not counted: ")


def test_every_refusal_of_the_signoff_policy_has_words() -> None:
    assert set(Refusal) <= set(SENTENCES)
    assert all("_" not in sentence for sentence in SENTENCES.values())


def test_a_counted_answer_says_whose_it_was() -> None:
    assert (
        counted("review", "DEMO-1", "demo-ana")
        == "Your review of DEMO-1 was recorded (by demo-ana)"
    )


@pytest.mark.parametrize(
    ("reason", "says"),
    [
        pytest.param(
            "conflicted",
            "you are not allowed to answer because you declared a conflict of interest on this "
            "incident",
            id="a conflict, told to the member",
        ),
        pytest.param("already_counted", "your answer was already counted", id="counted"),
        pytest.param("bad_code", "the code was wrong or had expired", id="a code"),
    ],
)
def test_a_member_reads_their_own_refusal_addressed_to_them(reason: str, says: str) -> None:
    assert to_you(reason) == says
