"""What the team channel hears while an incident's run waits: each new waiting step, and
whether each answer to it was recorded ("Review of DEMO-1 recorded by demo-ana; next:
sign-off"). A notice that cannot be sent now stays in the outbox; it never stops the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from flows.waiting import answered_at
from models.answers import FormAnswer
from tasks import waiting as t
from tasks.lifecycle import StepFeedback

A = TypeVar("A", bound=FormAnswer)
log = logging.getLogger("care.feedback")


def announce_step(code: str, step: str) -> None:
    """Announce that the step waits, once."""
    if t.waiting_announced(code, step):
        return
    try:
        t.announce_waiting(code, step)
    except Exception as exc:  # the notice stays in the outbox
        log.warning("could not announce %s of %s now (%s)", step, code, type(exc).__name__)


def _handle(answer: FormAnswer) -> str:
    return str(getattr(answer, "reviewer", None) or getattr(answer, "member", ""))


def heard(code: str, step: str, store: Callable[[A], StepFeedback]) -> Callable[[A], StepFeedback]:
    """``store``, then tell the team channel whether the answer was recorded."""

    def store_and_tell(answer: A) -> StepFeedback:
        came = store(answer)
        refusal = None if came.counted else (came.reason or "it was refused")
        submitted = answered_at()
        at = f"{submitted.timestamp():.6f}" if submitted else "0"
        try:
            t.announce_answer(code, step, came.member or _handle(answer), refusal, at)
        except Exception as exc:  # the notice stays in the outbox
            log.warning("could not announce the answer to %s now (%s)", step, type(exc).__name__)
        return came

    return store_and_tell
