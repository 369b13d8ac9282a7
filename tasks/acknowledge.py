"""Acknowledge a report on the reporter's own channel (placeholder, being written)."""

from __future__ import annotations


def acknowledge_report(report_id: int) -> str | None:
    """Queue and send the team-approved acknowledgement; return the message status."""
    return None
