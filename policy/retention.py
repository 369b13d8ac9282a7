"""When the work after a conference falls due: the transparency report, then the purge."""

from __future__ import annotations

from datetime import date, timedelta

REPORT_AFTER_DAYS = 1  # the draft is started the day after the last day
REPORT_WINDOW_DAYS = 30  # ... on its own only within this many days; later, by hand


def report_due_on(ends_on: date) -> date:
    """The day the transparency report's draft is started on its own."""
    return ends_on + timedelta(days=REPORT_AFTER_DAYS)


def report_starts_on_its_own(ends_on: date, today: date) -> bool:
    """Whether the sweep starts the report today: from the day after, for a month."""
    return report_due_on(ends_on) <= today <= ends_on + timedelta(days=REPORT_WINDOW_DAYS)


def purge_due_on(ends_on: date, retention_days: int) -> date:
    """The first day personal data of an edition may no longer be kept."""
    if retention_days < 0:
        raise ValueError(f"retention_days cannot be negative: {retention_days}")
    return ends_on + timedelta(days=retention_days + 1)


def is_due(due_on: date, today: date) -> bool:
    return today >= due_on
