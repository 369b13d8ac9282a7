"""The names of the steps a run suspends at, and the pause keys Prefect keeps for them.

A suspended run's pause key is its step and a random suffix (``await-d12-3f9a0c1b2e``).
The host's sweep reads back which decision a run waits on from the key alone, so the
keys are built and parsed here and nowhere else.
"""

from __future__ import annotations

import re
from uuid import uuid4

SUFFIX = 10  # hex digits after the step: a new key for every suspension
_WAITS_ON_DECISION = re.compile(rf"(?:await-d|signoff-)(\d+)-[0-9a-f]{{{SUFFIX}}}")


def pause_key(step: str) -> str:
    """A fresh pause key for a suspension at this step."""
    return f"{step}-{uuid4().hex[:SUFFIX]}"


def awaiting_decision(decision_id: int) -> str:
    """The step of a run that waits for a decision's sign-off to end."""
    return f"await-d{decision_id}"


def signoff_form(decision_id: int) -> str:
    """The step of a `collect-signoff` run waiting with its form."""
    return f"signoff-{decision_id}"


def signoff_blocked(decision_id: int) -> str:
    """The step of a `collect-signoff` run nobody may answer (not a decision's wait)."""
    return f"signoff-{decision_id}-blocked"


def waited_decision(key: str | None) -> int | None:
    """The decision a run suspended with this pause key waits on, if any."""
    match = _WAITS_ON_DECISION.fullmatch(key or "")
    return int(match.group(1)) if match else None
