"""The resolution catalogue and the rules a review outcome must follow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

NO_ACTION, OTHER = "no_action", "other"  # the two the rules below name


@dataclass(frozen=True)
class ResolutionEntry:
    """A resolution the team can decide on: its key, its label and who carries it out."""

    key: str
    label: str
    executor: str | None  # the team told to carry it out ("care": the team itself), or none


CATALOGUE: tuple[ResolutionEntry, ...] = (
    ResolutionEntry(NO_ACTION, "No action", None),
    ResolutionEntry("stop_behaviour", "Demand that the participant stop their behaviour", "care"),
    ResolutionEntry(
        "no_further_contact",
        "Demand that the participant prevent further contact with other participants",
        "care",
    ),
    ResolutionEntry(
        "do_not_publish_video", "Do not publish the video of the conference talk", "av"
    ),
    ResolutionEntry("cancel_talk", "Cancel the conference talk", "programme"),
    ResolutionEntry(
        "remove_without_refund",
        "Remove the participant from the conference without a refund",
        "registration",
    ),
    ResolutionEntry(OTHER, "Other", None),
)


def catalogue() -> tuple[ResolutionEntry, ...]:
    """The resolutions on offer (read at each call: forms and rules follow the catalogue)."""
    return CATALOGUE


def resolution(key: str) -> ResolutionEntry:
    """The catalogue's resolution with this key; ValueError if it has none."""
    for entry in catalogue():
        if entry.key == key:
            return entry
    raise ValueError(f"not a resolution of the catalogue: {key}")


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


def validate_resolutions(resolutions: Sequence[str], *, other_text_given: bool) -> None:
    """Raise ValueError unless the chosen resolutions make one coherent outcome."""
    if not resolutions:
        raise ValueError("choose at least one resolution (No action is a resolution too)")
    for key in resolutions:
        resolution(key)
    repeated = sorted({r for r in resolutions if resolutions.count(r) > 1})
    if repeated:
        raise ValueError(f"a resolution is chosen twice: {', '.join(repeated)}")
    if NO_ACTION in resolutions and len(resolutions) > 1:
        raise ValueError("No action cannot be combined with another resolution")
    if OTHER in resolutions and not other_text_given:
        raise ValueError("the resolution Other needs a description of what the team decided")


def check_outcome(violation: Violation, resolutions: Sequence[str]) -> None:
    """Raise ValueError if the resolutions do not fit the violation finding."""
    if violation is Violation.no and any(r != NO_ACTION for r in resolutions):
        others = ", ".join(r for r in resolutions if r != NO_ACTION)
        raise ValueError(f"with no violation found the only resolution is No action, not {others}")
