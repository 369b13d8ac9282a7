"""Start each incident's flows from the record: a lifecycle run, and an escalation if urgent.

Intake only stores reports, so it works even while Prefect is down. Urgent first: an
urgent incident's run is created once its first round of pages is out, and no lifecycle
run is created while an urgent incident waits for its run, or for its run to be running
(on SQLite, Prefect takes one write at a time; beside workers, each lifecycle run is a
new flow process on a 2-core machine).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun, State, StateType
from prefect.states import Pending

from deployments.catalog import Catalog
from deployments.pager import FirstRoundPager
from models.tables import Incident
from record import flow_runs

log = logging.getLogger("care.host")


@dataclass(frozen=True)
class Starter:
    """Which flow an incident gets, and where its run id is kept."""

    flow_name: str
    column: Any  # Incident.flow_run_id or Incident.escalation_flow_run_id
    only_urgent: bool
    run_prefix: str


URGENT_AT_ONCE = 20  # escalation runs created side by side
ESCALATION = Starter("escalate-incident", Incident.escalation_flow_run_id, True, "escalate")
STARTERS = (ESCALATION, Starter("handle-incident", Incident.flow_run_id, False, "incident"))


def missing(starter: Starter) -> list[flow_runs.OpenIncident]:
    """The open incidents without the starter's run."""
    return flow_runs.without_run(column=starter.column, only_urgent=starter.only_urgent)


class RunStarter:
    """Create the runs that incidents in the record are missing.

    ``run_here``: the host runs escalations in its own threads. Their runs are then
    created already claimed (Pending, with this creation's token) and handed to it at
    once: an urgent run does not wait for the next poll, a claim and a read of the run,
    each a request to a Prefect server that a burst of reports keeps busy.
    ``urgent_starting``: how many of those are not yet running; no lifecycle run is
    created until they are.
    """

    def __init__(
        self,
        catalog: Catalog,
        pager: FirstRoundPager,
        run_here: Callable[[FlowRun], bool] | None = None,
        urgent_starting: Callable[[], int] = lambda: 0,
    ) -> None:
        self._catalog = catalog
        self._pager = pager
        self._run_here = run_here
        self._urgent_starting = urgent_starting
        self._urgent_waiting = 0  # urgent incidents without an escalation run

    def start(self, *starters: Starter) -> int:
        """Create the missing runs of these starters (default: all); return how many."""
        started = 0
        for starter in starters or STARTERS:
            deployment_id = self._catalog.ids.get(starter.flow_name)
            if deployment_id is None:
                continue
            if starter.only_urgent:
                started += self._start_urgent(starter, deployment_id)
            else:
                started += self._start_routine(starter, deployment_id)
        return started

    def _start_urgent(self, starter: Starter, deployment_id: UUID) -> int:
        """Create the urgent incidents' runs side by side (twenty reports at once do not
        wait on twenty requests to Prefect one after another)."""
        waiting = missing(starter)
        self._urgent_waiting = len(waiting)
        ready = [(i, code) for i, code in waiting if self._pager.sent(i)]  # the others: poked
        if not ready:
            return 0

        def create(incident_id: int, code: str) -> None:
            self.create_run(starter, deployment_id, incident_id, code)
            self._pager.forget(incident_id)

        with ThreadPoolExecutor(max_workers=min(len(ready), URGENT_AT_ONCE)) as pool:
            done = [pool.submit(create, incident_id, code) for incident_id, code in ready]
        failed = [error for job in done if (error := job.exception()) is not None]
        if failed:
            self._urgent_waiting = 0  # Prefect refuses them: hold up nothing else
            raise failed[0]
        return len(done)

    def _start_routine(self, starter: Starter, deployment_id: UUID) -> int:
        started = 0
        for incident_id, code in missing(starter):
            if self._urgent_waiting or self._urgent_starting():
                break  # the escalations' runs first, up and running
            self.create_run(starter, deployment_id, incident_id, code)
            started += 1
        return started

    def create_run(
        self, starter: Starter, deployment_id: UUID, incident_id: int, code: str, attempt: int = 0
    ) -> None:
        """Create the incident's run (``attempt`` > 0: a new one for a run that stopped)."""
        key = f"{starter.flow_name}-{code}" + (f"-restart-{attempt}" if attempt else "")
        here = self._run_here is not None and starter.only_urgent
        # the claim's token: a run Prefect already had under this key (created before a
        # restart, say) comes back in its own state, and is left to the poll or the sweep
        claim: State[Any] | None = (
            Pending(message=f"claimed at creation {uuid.uuid4().hex}") if here else None
        )
        with get_client(sync_client=True) as client:
            run = client.create_flow_run_from_deployment(
                deployment_id,
                parameters={"incident_code": code},
                name=f"{starter.run_prefix}-{code}",
                idempotency_key=key,
                state=claim,
            )
        flow_runs.record_run(
            incident_id=incident_id,
            column=starter.column,
            run_id=str(run.id),
            replacing=attempt > 0,
        )
        log.info("%s: %s run %s", code, starter.flow_name, run.id)
        if claim is not None and self._run_here is not None and _ours(run, claim.message):
            self._run_here(run)


def _ours(run: FlowRun, claim: str | None) -> bool:
    """Whether Prefect created the run just now, claimed with this token."""
    state = run.state
    return state is not None and state.type is StateType.PENDING and state.message == claim
