"""Talk to Prefect about CARE's flow runs: wake a suspended run so it re-reads the record."""

from __future__ import annotations

import logging
import time
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.states import Scheduled

from models import db
from record.decisions import get_decision

log = logging.getLogger("care.orchestrate")
DEPLOYMENT = "care"  # every CARE flow has one deployment of this name


def start_deployed(
    flow_name: str, *, parameters: dict[str, Any], name: str, idempotency_key: str | None = None
) -> str:
    """Create a run of a CARE flow's deployment (with a key: only once); return its id."""
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(f"{flow_name}/{DEPLOYMENT}")
        run = client.create_flow_run_from_deployment(
            deployment.id, parameters=parameters, name=name, idempotency_key=idempotency_key
        )
    return str(run.id)


def wake(flow_run_id: str | UUID | None, *, patience_s: float = 5.0) -> bool:
    """Reschedule a suspended run so it runs again and re-reads the record.

    A run that is still running (about to suspend) is waited for a moment; a finished
    run needs no waking. Returns True if the run was woken ("Woken" or "Resuming").
    Should the wake still land while the run runs again, its next suspension notices
    and starts it over (``flows.waiting``).
    """
    if not flow_run_id:
        return False
    run_id = UUID(str(flow_run_id))
    deadline = time.monotonic() + patience_s
    with get_client(sync_client=True) as client:
        while True:
            run = client.read_flow_run(run_id)
            state = run.state
            if state is None or state.is_final() or state.is_scheduled():
                return False
            if state.is_paused():
                details = state.state_details
                if details.pause_reschedule and not details.run_input_keyset:
                    # suspended without a form: the server checks, in the same
                    # transaction, that the run still waits
                    result = client.resume_flow_run(run_id)
                else:  # a form cannot be resumed without its input
                    result = client.set_flow_run_state(run_id, Scheduled(name="Woken"))
                if result.state is not None and result.state.is_scheduled():
                    return True
            if time.monotonic() > deadline:
                log.warning("run %s did not suspend in time to be woken", run_id)
                return False
            time.sleep(0.05)


def wake_decision(decision_id: int) -> bool:
    """Wake the sign-off run of a decision (after an answer given outside the Prefect UI)."""
    with db.session_scope() as session:
        run_id = get_decision(session, decision_id).flow_run_id
    return wake(run_id)


def wake_open_signoffs(incident_code: str) -> int:
    """Wake every pending sign-off of an incident (after a conflict changed who may approve)."""
    from record.decisions import pending_decisions
    from record.incidents import get_incident

    with db.session_scope() as session:
        incident = get_incident(session, incident_code)
        runs = [d.flow_run_id for d in pending_decisions(session, incident)]
    return sum(wake(run_id) for run_id in runs)
