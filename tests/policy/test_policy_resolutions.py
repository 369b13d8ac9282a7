"""The resolution catalogue and the rules for a review outcome."""

from __future__ import annotations

import pytest

from policy.resolutions import (
    RESOLUTION_EXECUTOR,
    RESOLUTION_LABELS,
    Resolution,
    Violation,
    check_outcome,
    validate_resolutions,
)

R = Resolution


@pytest.mark.parametrize(
    ("resolution", "label", "executor"),
    [
        pytest.param(R.no_action, "No action", None, id="no action"),
        pytest.param(
            R.stop_behaviour, "Demand that the participant stop their behaviour", "care",
            id="demanding that a participant stop their behaviour",
        ),
        pytest.param(
            R.no_further_contact,
            "Demand that the participant prevent further contact with other participants",
            "care", id="demanding that a participant prevents further contact",
        ),
        pytest.param(
            R.do_not_publish_video, "Do not publish the video of the conference talk", "av",
            id="not publishing the video of a conference talk",
        ),
        pytest.param(
            R.cancel_talk, "Cancel the conference talk", "programme",
            id="cancelling a conference talk",
        ),
        pytest.param(
            R.remove_without_refund,
            "Remove the participant from the conference without a refund", "registration",
            id="removing a participant from the conference without a refund",
        ),
        pytest.param(R.other, "Other", None, id="resolutions are not restricted to these"),
    ],
)  # fmt: skip
def test_catalogue(resolution: Resolution, label: str, executor: str | None) -> None:
    assert RESOLUTION_LABELS[resolution] == label
    assert RESOLUTION_EXECUTOR[resolution] == executor


def test_catalogue_covers_every_resolution() -> None:
    assert set(RESOLUTION_LABELS) == set(RESOLUTION_EXECUTOR) == set(Resolution)


@pytest.mark.parametrize(
    ("resolutions", "other_text", "error"),
    [
        pytest.param([R.no_action], False, None, id="no action alone"),
        pytest.param([R.stop_behaviour, R.no_further_contact], False, None, id="two measures"),
        pytest.param([R.other], True, None, id="other, described"),
        pytest.param([R.cancel_talk, R.other], True, None, id="a catalogue measure and other"),
        pytest.param([], False, "at least one", id="no resolution at all"),
        pytest.param(
            [R.no_action, R.stop_behaviour], False, "cannot be combined",
            id="no action combined with a measure",
        ),
        pytest.param([R.other], False, "needs a description", id="other without text"),
        pytest.param(
            [R.cancel_talk, R.cancel_talk], False, "chosen twice: cancel_talk",
            id="the same resolution twice",
        ),
    ],
)  # fmt: skip
def test_validate_resolutions(
    resolutions: list[Resolution], other_text: bool, error: str | None
) -> None:
    if error is None:
        validate_resolutions(resolutions, other_text_given=other_text)
        return
    with pytest.raises(ValueError, match=error):
        validate_resolutions(resolutions, other_text_given=other_text)


@pytest.mark.parametrize(
    ("violation", "resolutions", "allowed"),
    [
        pytest.param(Violation.no, [R.no_action], True, id="no violation, no action"),
        pytest.param(
            Violation.no, [R.stop_behaviour], False, id="no violation cannot lead to a measure"
        ),
        pytest.param(Violation.no, [R.other], False, id="no violation cannot lead to other"),
        pytest.param(Violation.yes, [R.remove_without_refund], True, id="violation, a measure"),
        pytest.param(Violation.yes, [R.no_action], True, id="violation, team chose no action"),
        pytest.param(Violation.undetermined, [R.stop_behaviour], True, id="undetermined"),
    ],
)
def test_check_outcome(violation: Violation, resolutions: list[Resolution], allowed: bool) -> None:
    if allowed:
        check_outcome(violation, resolutions)
        return
    with pytest.raises(ValueError, match="only resolution is No action"):
        check_outcome(violation, resolutions)
