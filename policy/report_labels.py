"""The words a public transparency report uses for the record's codes and keys."""

from __future__ import annotations

from policy.resolutions import RESOLUTION_LABELS, Resolution

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
        return RESOLUTION_LABELS[Resolution(key)]
    except ValueError:
        return RESOLUTION_LABELS[Resolution.other]


def finding_label(key: str) -> str:
    return {
        "yes": "A violation of the Code of Conduct",
        "no": "No violation",
        "undetermined": "Could not be determined",
    }.get(key, "Review not concluded")
