"""The resolution catalogue and the rules a review outcome must follow."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class Resolution(StrEnum):
    """A resolution the team can decide on."""

    no_action = "no_action"
    stop_behaviour = "stop_behaviour"
    no_further_contact = "no_further_contact"
    do_not_publish_video = "do_not_publish_video"
    cancel_talk = "cancel_talk"
    remove_without_refund = "remove_without_refund"
    other = "other"


RESOLUTION_LABELS: dict[Resolution, str] = {
    Resolution.no_action: "No action",
    Resolution.stop_behaviour: "Demand that the participant stop their behaviour",
    Resolution.no_further_contact: (
        "Demand that the participant prevent further contact with other participants"
    ),
    Resolution.do_not_publish_video: "Do not publish the video of the conference talk",
    Resolution.cancel_talk: "Cancel the conference talk",
    Resolution.remove_without_refund: "Remove the participant from the conference without a refund",
    Resolution.other: "Other",
}

RESOLUTION_EXECUTOR: dict[Resolution, str | None] = {
    Resolution.no_action: None,
    Resolution.stop_behaviour: "care",
    Resolution.no_further_contact: "care",
    Resolution.do_not_publish_video: "av",
    Resolution.cancel_talk: "programme",
    Resolution.remove_without_refund: "registration",
    Resolution.other: None,
}


class Violation(StrEnum):
    """Whether the team found a Code of Conduct violation."""

    yes = "yes"
    no = "no"
    undetermined = "undetermined"


class Severity(StrEnum):
    """How severe the team judged the behaviour."""

    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


def validate_resolutions(resolutions: Sequence[Resolution], *, other_text_given: bool) -> None:
    """Raise ValueError unless the chosen resolutions make one coherent outcome."""
    if not resolutions:
        raise ValueError("choose at least one resolution (No action is a resolution too)")
    repeated = sorted({r.value for r in resolutions if resolutions.count(r) > 1})
    if repeated:
        raise ValueError(f"a resolution is chosen twice: {', '.join(repeated)}")
    if Resolution.no_action in resolutions and len(resolutions) > 1:
        raise ValueError("No action cannot be combined with another resolution")
    if Resolution.other in resolutions and not other_text_given:
        raise ValueError("the resolution Other needs a description of what the team decided")


def check_outcome(violation: Violation, resolutions: Sequence[Resolution]) -> None:
    """Raise ValueError if the resolutions do not fit the violation finding."""
    if violation is Violation.no and any(r is not Resolution.no_action for r in resolutions):
        others = ", ".join(r.value for r in resolutions if r is not Resolution.no_action)
        raise ValueError(f"with no violation found the only resolution is No action, not {others}")
