"""A run woken in the moment before it suspends ends this execution and starts again."""

from __future__ import annotations

from typing import cast
from uuid import UUID

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import Pause
from prefect.flow_engine import run_flow
from prefect.states import Scheduled

from flows.waiting import current_run_id, sleep_until_woken

pytestmark = pytest.mark.usefixtures("prefect_server")
TRIES: list[str] = []


@flow(name="woken-before-it-sleeps")
def woken_before_it_sleeps() -> str:
    """Wait for a decision; on the first try, an answer wakes the run just before it sleeps."""
    if TRIES:
        return "read the answer"
    TRIES.append("slept")
    with get_client(sync_client=True) as client:  # what adapters.prefect_api.wake does
        client.set_flow_run_state(current_run_id(), Scheduled(name="Woken"), force=True)
    sleep_until_woken("await-d1")
    return "not reached"


def _state_name(run_id: UUID) -> str | None:
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(run_id).state
    return state.name if state else None


def test_a_run_woken_just_before_it_suspends_runs_again() -> None:
    deployment = cast(RunnerDeployment, woken_before_it_sleeps.to_deployment(name="test"))
    deployment_id = cast(UUID, deployment.apply())
    with get_client(sync_client=True) as client:
        run = client.create_flow_run_from_deployment(deployment_id)
    TRIES.clear()
    with pytest.raises(Pause):  # not a failure: this execution ends, as if suspended
        run_flow(woken_before_it_sleeps, flow_run=run)
    assert _state_name(run.id) == "Woken"  # Scheduled: the host runs it again
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run.id)
    assert run_flow(woken_before_it_sleeps, flow_run=run) == "read the answer"
    assert _state_name(run.id) == "Completed"
