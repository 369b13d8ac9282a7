"""Run the CARE host (starter + in-process dispatcher) against the test Prefect server."""

from __future__ import annotations

import faulthandler
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun

from deployments.host import Host


@contextmanager
def running_host(poll_s: float = 0.1) -> Iterator[Host]:
    delete_all_runs()
    host = Host(poll_s=poll_s).start()
    try:
        yield host
    finally:
        host.stop()
        delete_all_runs()


def wait_for(predicate: Callable[[], object], timeout: float = 90.0, every: float = 0.1) -> object:
    """Poll until predicate returns something truthy; fail the test after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    faulthandler.dump_traceback(all_threads=True)  # where the flows were when it hung
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


def read_run(run_id: str | UUID) -> FlowRun:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(str(run_id)))


def waiting_form(run_id: str | UUID) -> dict[str, str] | None:
    """The keyset of the form a suspended run waits on, once its description is stored."""
    run = read_run(run_id)
    if run.state is None or not run.state.is_paused():
        return None
    keyset = run.state.state_details.run_input_keyset
    if not keyset:
        return None
    with get_client(sync_client=True) as client:
        try:
            client.read_flow_run_input(run.id, keyset["description"])
        except Exception:
            return None
    return dict(keyset)


def form_description(run_id: str | UUID) -> str:
    keyset = wait_for(lambda: waiting_form(run_id))
    assert isinstance(keyset, dict)
    with get_client(sync_client=True) as client:
        return client.read_flow_run_input(UUID(str(run_id)), keyset["description"])


def answer_form(run_id: str | UUID, values: dict[str, object], timeout: float = 90.0) -> None:
    """Submit a suspended run's form as the Prefect UI does (waits for the form first)."""
    from prefect.exceptions import NotPausedError
    from prefect.flow_runs import resume_flow_run

    deadline = time.monotonic() + timeout
    while True:
        keyset = wait_for(lambda: waiting_form(run_id), timeout=max(deadline - time.monotonic(), 1))
        ready = {key: value() if callable(value) else value for key, value in values.items()}
        ready = _as_offered(run_id, keyset, ready)
        try:
            resume_flow_run(UUID(str(run_id)), run_input=ready)
            return
        except NotPausedError:  # woken in the meantime (as a member would, submit again)
            if time.monotonic() > deadline:
                raise


def _as_offered(run_id: str | UUID, keyset: object, values: dict[str, object]) -> dict[str, object]:
    """A choice given by its key, as the form offers it: by its label, if its list has that."""
    from models.answers import offered

    if not isinstance(keyset, dict) or "schema" not in keyset:
        return values
    with get_client(sync_client=True) as client:
        schema = json.loads(client.read_flow_run_input(UUID(str(run_id)), keyset["schema"]))
    fields: dict[str, dict[str, object]] = schema.get("properties", {})
    shown = dict(values)
    for key, value in values.items():
        choices = fields.get(key, {}).get("enum")
        if isinstance(choices, list) and value not in choices and offered(key, value) in choices:
            shown[key] = offered(key, value)
    return shown


def delete_all_runs() -> None:
    """Forget every flow run, so the next test's host cannot pick up this test's runs."""
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        for run in client.read_flow_runs(limit=200):
            with suppress(ObjectNotFound):  # gone with the run that started it
                client.delete_flow_run(run.id)
