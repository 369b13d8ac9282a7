"""Waiting for people without holding a process.

A flow that needs a member's answer *suspends*: its run is Paused in Prefect with a form
and no Python process or thread waits for it. When a member submits the form in the
Prefect UI (or something is recorded elsewhere and the run is woken), the run starts again
from the top, reads the record, skips what is done and arrives back here, where the
answer is moved into CARE's encrypted database and deleted from Prefect.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any, NoReturn, TypeVar
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext
from prefect.exceptions import Pause
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from pydantic import BaseModel, ValidationError

from adapters.prefect_store import scrub_soon
from flows.pause_keys import pause_key

A = TypeVar("A", bound=BaseModel)
R = TypeVar("R")
STEP = re.compile(r"[a-z][a-z0-9-]{0,60}[a-z0-9]")
_ANSWERED_AT: ContextVar[datetime | None] = ContextVar("answered_at", default=None)


def answered_at() -> datetime | None:
    """Inside ``store``: when the member submitted the answer being stored (Prefect's time)."""
    return _ANSWERED_AT.get()


def current_run_id() -> UUID:
    """The id of the flow run this code runs in."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        raise RuntimeError("waiting only works inside a flow run")
    return context.flow_run.id


def _prefix(step: str) -> str:
    if not STEP.fullmatch(step):
        raise ValueError(f"a step name is lower-case letters, digits and dashes: {step!r}")
    # Prefect names a suspended run's inputs "suspended-<pause key>-<part>"
    return f"suspended-{step}-"


def _take_answer(run_id: UUID, step: str) -> tuple[dict[str, Any], datetime | None] | None:
    """The latest submitted answer of this step's forms and when it was submitted, if any
    (inputs stay until store)."""
    with get_client(sync_client=True) as client:
        inputs = client.filter_flow_run_input(
            flow_run_id=run_id, key_prefix=_prefix(step), limit=200, exclude_keys=set()
        )
    answers = sorted((i for i in inputs if i.key.endswith("-response")), key=lambda i: i.id)
    if not answers:
        return None
    value = answers[-1].value
    loaded = json.loads(value) if isinstance(value, str) else value
    return (loaded, answers[-1].created) if isinstance(loaded, dict) else None


def forget(step: str, run_id: UUID | None = None) -> None:
    """Delete every input of a step from Prefect (forms, descriptions and answers)."""
    run_id = run_id or current_run_id()
    with get_client(sync_client=True) as client:
        for item in client.filter_flow_run_input(
            flow_run_id=run_id, key_prefix=_prefix(step), limit=200, exclude_keys=set()
        ):
            client.delete_flow_run_input(run_id, item.key)


def ask(
    form: type[RunInput],
    *,
    step: str,
    description: str,
    store: Callable[[A], R],
    parse: type[A],
) -> R:
    """Return what ``store`` made of this step's answer once a member gave it; until then
    suspend with the form.

    ``store`` moves the answer (parsed with ``parse``) into CARE's database before it is
    deleted from Prefect, so a crash between the two loses nothing; it may read
    :func:`answered_at`. Raises ``prefect.exceptions.Pause`` to suspend.
    """
    run_id = current_run_id()
    taken = _take_answer(run_id, step)
    if taken is not None:
        raw, submitted = taken
        try:
            answer = parse.model_validate(raw)
        except ValidationError as exc:  # not from the UI's form: ask again, saying where
            description += f"\n\n**Last answer not recorded:** {invalid_fields(form, exc)}"
        else:
            token = _ANSWERED_AT.set(submitted)
            try:
                stored = store(answer)
            finally:
                _ANSWERED_AT.reset(token)
            forget(step, run_id)
            scrub_soon()  # and off the disk of Prefect's SQLite
            return stored
    forget(step, run_id)  # forms of earlier attempts, and an answer that did not parse
    initial = form.with_initial_data(description=description)
    _suspend(run_id, pause_key(step), initial)


def invalid_fields(form: type[BaseModel], error: ValidationError) -> str:
    """Which fields of an answer were not valid, by title: never the values typed."""
    names = []
    for item in error.errors(include_input=False, include_url=False):
        key = str(item["loc"][0]) if item["loc"] else "the answer"
        field = form.model_fields.get(key)
        names.append(f'"{field.title or key}"' if field is not None else "a field not in the form")
    return f"not valid: {', '.join(dict.fromkeys(names))}; choose or type them again"


def sleep_until_woken(step: str) -> NoReturn:
    """Suspend this run until it is woken (``adapters.prefect_api.wake``) or resumed."""
    _suspend(current_run_id(), pause_key(step))


def _suspend(run_id: UUID, key: str, form: type[RunInput] | None = None) -> NoReturn:
    """Suspend this run (raises ``Pause``), also when it was woken just before.

    A member's answer can wake the run (``adapters.prefect_api.wake``) in the moment between
    its last look at the record and its suspension. Prefect then refuses to suspend a run
    that is Scheduled again; this execution ends as if suspended, and the run starts again
    from the top and reads the answer.
    """
    try:
        suspend_flow_run(wait_for_input=form, key=key)  # raises Pause
    except RuntimeError as exc:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(run_id).state
        if state is None or not state.is_scheduled():
            raise
        raise Pause(state=state) from exc
    raise RuntimeError("suspend_flow_run returned without suspending")  # pragma: no cover
