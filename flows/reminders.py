"""Unilateral action ("any CARE team member may take the appropriate action") must be
reviewed by the team within 24 hours: this scheduled flow reminds the team until it is."""

from __future__ import annotations

from prefect import flow

from tasks.reminders import remind_unilateral_reviews_now


@flow(name="remind-unilateral-reviews")
def remind_unilateral_reviews() -> int:
    """Post a reminder for every immediate action whose review is still pending."""
    return len(remind_unilateral_reviews_now())
