"""The sweep: wake the runs whose wake was lost, start again the runs that stopped."""

from __future__ import annotations

from prefect.client.schemas.objects import StateType

from adapters.prefect_api import wake
from deployments import revive
from deployments.catalog import Catalog
from deployments.starter import STARTERS, RunStarter
from flows.pause_keys import waited_decision
from record.flow_runs import decision_moved_on


class Sweeper:
    """What the host does every few seconds, in case something was missed."""

    def __init__(self, catalog: Catalog, starter: RunStarter) -> None:
        self._catalog = catalog
        self._starter = starter

    def sweep(self) -> int:
        """Wake suspended runs whose decision moved on in the record without waking them.

        A run waiting on a decision suspends with a pause key naming it (`await-d12-...`,
        `signoff-12-...`). If the answer was recorded but the wake was lost (Prefect was
        briefly unreachable, the CLI was killed), this finds it; returns how many it woke.
        """
        woken = 0
        for run in self._catalog.runs_in(StateType.PAUSED):
            if run.state is None:
                continue
            decision_id = waited_decision(run.state.state_details.pause_key)
            if decision_id is None:
                continue
            if decision_moved_on(decision_id=decision_id, since=run.state.timestamp):
                woken += wake(run.id)
        return woken

    def restart_failed(self) -> int:
        """Start again the incident runs that failed for good or crashed (``revive``)."""
        runs = self._catalog.runs_in(StateType.FAILED, StateType.CRASHED)
        failed = {str(run.id) for run in runs}
        restarted = 0
        for starter in STARTERS:
            deployment_id = self._catalog.ids.get(starter.flow_name)
            if deployment_id is None:
                continue
            for incident_id, code, run_id in revive.stopped(starter.column, failed):
                attempt = revive.next_attempt(code, starter.flow_name, run_id)
                if attempt is not None:
                    self._starter.create_run(
                        starter, deployment_id, incident_id, code, attempt=attempt
                    )
                    restarted += 1
        return restarted
