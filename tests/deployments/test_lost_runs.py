"""Runs that lost their process are found: a silent Running run by Prefect's zombie
automation (as CARE's setup creates it, also for a run that never sent a heartbeat), a run
stuck Pending by the host's sweep."""

from __future__ import annotations

import time
from datetime import timedelta
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.events import emit_event
from prefect.states import Crashed, Pending, Running

from deployments.catalog import Catalog
from deployments.dispatcher import Dispatcher
from deployments.lost_runs import AUTOMATION, LOST, crash_stuck, ensure_zombie_automation, lost
from models.db import utcnow
from tests.support.host import read_run, wait_for
from tests.support.seed import Seeded


def _run_of(catalog: Catalog, flow_name: str, state: object) -> UUID:
    """A run of a CARE deployment put in `state` by hand, as a dead worker leaves it."""
    with get_client(sync_client=True) as client:
        run = client.create_flow_run_from_deployment(
            catalog.ids[flow_name], parameters={"incident_code": "DCE26-99"}
        )
        client.set_flow_run_state(run.id, state, force=True)  # type: ignore[arg-type]
        return run.id


def test_a_run_that_stops_heartbeating_is_marked_crashed(team: Seeded) -> None:
    catalog = Catalog()
    catalog.register(create=True)
    ensure_zombie_automation(list(catalog.flows), silent_for=timedelta(seconds=10))
    alive = _run_of(catalog, "handle-incident", Running())
    silent = _run_of(catalog, "handle-incident", Running())
    never = _run_of(catalog, "handle-incident", Running())  # died before its first beat
    for run_id in (alive, silent):
        emit_event(
            event="prefect.flow-run.heartbeat",
            resource={"prefect.resource.id": f"prefect.flow-run.{run_id}"},
            related=[
                {
                    "prefect.resource.id": f"prefect.deployment.{catalog.ids['handle-incident']}",
                    "prefect.resource.role": "deployment",
                }
            ],
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the alive one keeps beating
        emit_event(
            event="prefect.flow-run.heartbeat",
            resource={"prefect.resource.id": f"prefect.flow-run.{alive}"},
            related=[
                {
                    "prefect.resource.id": f"prefect.deployment.{catalog.ids['handle-incident']}",
                    "prefect.resource.role": "deployment",
                }
            ],
        )
        states = [read_run(run_id).state for run_id in (silent, never)]
        if all(state is not None and state.type == StateType.CRASHED for state in states):
            break
        time.sleep(1)
    for run_id in (silent, never):
        state = read_run(run_id).state
        assert state is not None and state.type == StateType.CRASHED and lost(state.message)
    alive_state = read_run(alive).state
    assert alive_state is not None and alive_state.type == StateType.RUNNING


def test_the_automation_is_created_once_for_cares_deployments(team: Seeded) -> None:
    catalog = Catalog()
    catalog.register(create=True)
    first = ensure_zombie_automation(list(catalog.flows))
    assert ensure_zombie_automation(list(catalog.flows)) == first
    with get_client(sync_client=True) as client:
        (automation,) = client.read_automations_by_name(AUTOMATION)
    related = automation.trigger.match_related  # type: ignore[union-attr]
    assert related is not None
    watched = set(related.model_dump().get("prefect.resource.id", []))  # type: ignore[union-attr]
    assert watched == {f"prefect.deployment.{i}" for i in catalog.flows}


def test_a_run_stuck_pending_is_marked_crashed_for_the_sweep(team: Seeded) -> None:
    catalog = Catalog()
    catalog.register(create=True)
    stuck = _run_of(catalog, "escalate-incident", Pending())
    wait_for(lambda: read_run(stuck).state and read_run(stuck).state.type == StateType.PENDING)  # type: ignore[union-attr]
    assert crash_stuck(catalog, now=utcnow()) == 0  # just submitted: left alone
    assert crash_stuck(catalog, now=utcnow() + timedelta(minutes=3)) == 1
    state = read_run(stuck).state
    assert state is not None and state.type == StateType.CRASHED
    assert lost(state.message) and "Pending for over 120 s" in (state.message or "")


def test_a_lost_run_found_while_the_host_was_down_runs_again_without_a_restart(
    team: Seeded,
) -> None:
    catalog = Catalog()
    catalog.register(create=True)
    lost_run = _run_of(catalog, "handle-incident", Crashed(message=f"{LOST} (no heartbeat)"))
    failed = _run_of(catalog, "handle-incident", Crashed(message="Flow run infrastructure exited"))
    Dispatcher(catalog, workers=1).reschedule_orphans()
    rescheduled, left = read_run(lost_run).state, read_run(failed).state
    assert rescheduled is not None and rescheduled.type == StateType.SCHEDULED
    assert left is not None and left.type == StateType.CRASHED  # revive's to restart, counted
