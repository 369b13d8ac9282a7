"""The words a public transparency report uses for the record's codes and keys."""

from __future__ import annotations

from policy.categories import CATEGORY_LABELS
from policy.resolutions import OTHER, catalogue, resolution

CHANNEL_LABELS = {
    "web": "Web form",
    "email": "E-mail",
    "slack": "Slack",
    "staff": "Through a staff member",
    "sms": "Text message",
}
PHASE_LABELS = {
    "before": "Before the event",
    "during": "During the event",
    "after": "After the event",
}


def resolution_label(key: str) -> str:
    try:
        return resolution(key).label
    except ValueError:
        return resolution(OTHER).label


FINDING_LABELS = {
    "yes": "A violation of the Code of Conduct",
    "no": "No violation",
    "undetermined": "Could not be determined",
}
NOT_CONCLUDED = "Review not concluded"


def finding_label(key: str) -> str:
    return FINDING_LABELS.get(key, NOT_CONCLUDED)


def catalogue_labels() -> list[str]:
    """Every label CARE's catalogues give a key: CARE's own words, never a leak."""
    return [
        *(entry.label for entry in catalogue()),
        *CATEGORY_LABELS.values(),
        *CHANNEL_LABELS.values(),
        *PHASE_LABELS.values(),
        *FINDING_LABELS.values(),
        NOT_CONCLUDED,
    ]
