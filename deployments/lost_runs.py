"""Lost runs: CARE runs left Running with no process, or stuck before they started.

A worker killed with its flow processes leaves their runs Running in Prefect for good,
and a run whose worker never picked it up stays Pending; the sweep restarts only runs
that Failed or Crashed. Two means find them:

- **Prefect's own**: every flow run sends a heartbeat (``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``,
  30 s on CARE's processes), and CARE's setup creates the automation Prefect documents
  for zombie runs: a run of CARE's deployments that sends neither a heartbeat nor a new
  state for three heartbeats is marked Crashed.
  CARE's automation starts counting when a run turns Running as well as at each
  heartbeat: Prefect's recipe never finds a run whose process died before its first
  heartbeat reached the server. The deployments (``prefect.yaml``) and the host's threads
  set the heartbeat themselves, so no process runs CARE's flows without one; the embedded
  host, the only process that runs them, sends none and needs no automation.
- **What CARE adds**: Prefect has nothing for runs that never start. The host's sweep marks
  Crashed a run of CARE's deployments that has been Pending longer than ``STUCK_AFTER``.

Either way the sweep then starts the incident's run again (``revive``), and the team
channel is told. Paging never waited for any of this: the time-keeper pages by the record.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification
from prefect.states import Crashed

from deployments.catalog import Catalog

log = logging.getLogger("care.host")
HEARTBEAT_S = 30  # PREFECT_FLOWS_HEARTBEAT_FREQUENCY on CARE's processes (Prefect's minimum)
SILENT_FOR = timedelta(seconds=3 * HEARTBEAT_S)
STUCK_AFTER = timedelta(minutes=2)
AUTOMATION = "care: crash runs that stopped sending heartbeats"
LOST = "CARE: this run lost its process"  # how a Crashed message names a lost run
# what a live run sends: a heartbeat, or a new state (suspending stops its heartbeats)
ALIVE = {
    "prefect.flow-run.heartbeat",
    *(
        f"prefect.flow-run.{state}"
        for state in ("Completed", "Failed", "Cancelled", "Crashed", "Paused", "Suspended")
    ),
}


def zombie_automation(
    deployment_ids: Collection[UUID], *, silent_for: timedelta = SILENT_FOR
) -> AutomationCore:
    """Prefect's zombie-run automation, for the runs of CARE's deployments only."""
    related = [f"prefect.deployment.{deployment_id}" for deployment_id in deployment_ids]
    return AutomationCore(
        name=AUTOMATION,
        description="CARE: a run that stopped heartbeating has lost its process; mark it Crashed",
        trigger=EventTrigger(
            # from its start too: a run whose process dies before its first heartbeat
            # reaches Prefect (Prefect's own recipe waits for one) is found all the same
            after={"prefect.flow-run.heartbeat", "prefect.flow-run.Running"},
            expect=ALIVE,
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            match_related=ResourceSpecification({"prefect.resource.id": related}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=silent_for,
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"{LOST} (no heartbeat)",
            )
        ],
    )


def ensure_zombie_automation(
    deployment_ids: Collection[UUID], *, silent_for: timedelta = SILENT_FOR
) -> UUID:
    """Create (or bring up to date) CARE's zombie-run automation; return its id."""
    wanted = zombie_automation(deployment_ids, silent_for=silent_for)
    with get_client(sync_client=True) as client:
        for existing in client.read_automations_by_name(AUTOMATION):
            if existing.trigger == wanted.trigger and existing.actions == wanted.actions:
                return existing.id
            client.delete_automation(existing.id)  # deployments changed: one up-to-date copy
        return client.create_automation(wanted)


def remove_zombie_automation() -> int:
    """Delete CARE's zombie-run automation (the embedded host's runs send no heartbeat)."""
    with get_client(sync_client=True) as client:
        found = client.read_automations_by_name(AUTOMATION)
        for existing in found:
            client.delete_automation(existing.id)
        return len(found)


def lost(message: str | None) -> bool:
    """Whether a Crashed run was marked so by CARE's means, for losing its process."""
    return (message or "").startswith(LOST)


def crash_stuck(catalog: Catalog, *, now: datetime, after: timedelta = STUCK_AFTER) -> int:
    """Mark Crashed the runs of CARE's deployments Pending for longer than `after`."""
    crashed = 0
    with get_client(sync_client=True) as client:
        for run in catalog.runs_in(StateType.PENDING):
            since = run.state.timestamp if run.state else None
            if since is None or now - since < after:
                continue
            message = f"{LOST} (Pending for over {int(after.total_seconds())} s)"
            client.set_flow_run_state(run.id, Crashed(message=message), force=True)
            log.warning("run %s was stuck Pending; marked Crashed to start it again", run.id)
            crashed += 1
    return crashed
