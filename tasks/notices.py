"""Notices to the team channel: codes, urgency and links only (placeholder, being written)."""

from __future__ import annotations


def announce_report(report_id: int) -> str | None:
    """Tell the team channel a report arrived."""
    return None


def announce_approval(decision_id: int, approval_id: int) -> str | None:
    """Tell the team channel an approval was counted, so a forged one is seen at once."""
    return None


def announce_decision(decision_id: int) -> str | None:
    """Tell the team channel a sign-off is open, with approve / object buttons."""
    return None
