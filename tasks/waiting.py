"""The team channel hears of every step that begins to wait, and of every answer given.

Each notice is queued under its idempotency key (``notice:waiting:{code}:{step}``), so a
run that reaches the same pause again posts nothing twice; the task retries Slack.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select

from adapters import notices
from models import db
from models.tables import Message


def waiting_announced(code: str, step: str) -> bool:
    """Whether the step's waiting notice was queued already (a re-run of the flow)."""
    key = f"notice:waiting:{code}:{step}"
    with db.session_scope() as session:
        return session.scalar(select(Message.id).where(Message.idempotency_key == key)) is not None


@task(
    task_run_name="announce-waiting-{code}-{step}",
    retries=2,
    retry_delay_seconds=[2, 10],
    cache_policy=NO_CACHE,
)
def announce_waiting(code: str, step: str) -> str | None:
    """Tell the team channel the step waits: case code, step, how many members, the link."""
    return notices.announce_waiting(code, step)


@task(
    task_run_name="announce-answer-{code}-{step}",
    retries=2,
    retry_delay_seconds=[2, 10],
    cache_policy=NO_CACHE,
)
def announce_answer(code: str, step: str, handle: str, refusal: str | None, at: str) -> str:
    """Tell the team channel an answer was recorded by whom and what is next, or why not."""
    return notices.announce_answer(code, step, handle=handle, refusal=refusal, at=at)
