"""The dispatcher: run the due runs of CARE's deployments in threads of the host.

A suspended run holds no thread, so a hundred incidents waiting on sign-off cost nothing;
a resumed one starts in milliseconds, with no new process. What it serves is the host's
``Dispatch`` mode:

- ``all`` (the embedded default): every CARE deployment;
- ``urgent`` (production, beside Prefect process workers): the urgent flows only, so an
  escalation or an acknowledgement form never waits for a worker's poll and a new
  Python process. prefect.yaml puts their deployments on the pool ``care-urgent``, which
  no worker polls (with two hosts, Prefect lets one claim a run: the first Pending wins).
- ``none``: workers run everything.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from uuid import UUID

from prefect import Flow
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    FlowRunFilter,
    FlowRunFilterNextScheduledStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import SetStateStatus
from prefect.context import SettingsContext, get_settings_context
from prefect.exceptions import Abort, Pause
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, Settings
from prefect.states import Pending, Scheduled
from prefect.types._datetime import now as prefect_now

from deployments.catalog import PAGE, Catalog
from deployments.lost_runs import HEARTBEAT_S, lost
from deployments.pool import DaemonPool
from deployments.serving import URGENT_FLOWS, Dispatch

log = logging.getLogger("care.host")
ROUTINE_AT_ONCE = 4
STARTING_FOR_AT_MOST_S = 30.0  # a run not running by then holds up nothing else


class Dispatcher:
    """Claim due Scheduled runs and run each in a thread of this process, urgent first."""

    def __init__(self, catalog: Catalog, *, workers: int, mode: Dispatch = Dispatch.ALL) -> None:
        self._catalog = catalog
        self._mode = mode
        self._pool = DaemonPool(workers, "care-run")
        self._inflight: set[UUID] = set()
        self._lock = threading.Lock()
        # at most this many non-urgent runs at once: on SQLite, Prefect serialises writes,
        # and a burst of lifecycle runs must not delay an escalation's first SMS
        self._routine = threading.BoundedSemaphore(ROUTINE_AT_ONCE)
        # urgent runs this host created and handed to a thread, not yet running: when
        # each was handed over (see ``starting``)
        self._starting: dict[UUID, float] = {}
        self._told: dict[str, Flow[..., Any]] = {}  # each flow, telling us it runs
        self._settings: tuple[Settings, Settings] | None = None  # (current, for runs)

    def reschedule_orphans(self) -> int:
        """Runs left Running or Pending by a host that died: run them again (re-entrant).

        Runs that Prefect's zombie automation marked Crashed while the host was down are
        the same runs: they run again here too, without counting as restarts (``revive``).
        """
        runs = self._catalog.runs_in(StateType.RUNNING, StateType.PENDING) + [
            run
            for run in self._catalog.runs_in(StateType.CRASHED)
            if run.state is not None and lost(run.state.message)
        ]
        with get_client(sync_client=True) as client:
            for run in runs:
                client.set_flow_run_state(run.id, Scheduled(name="Rescheduled"), force=True)
        if runs:
            log.info("rescheduled %d runs interrupted by a restart", len(runs))
        return len(runs)

    def dispatch_due(self, client: SyncPrefectClient) -> int:
        """Claim the due Scheduled runs of CARE's deployments and run each in a thread.

        Each thread claims its run (Scheduled -> Pending, which Prefect grants to one
        claimant only) before it runs it: twenty urgent runs due at once are claimed side
        by side, not one request after another."""
        ids = self._catalog.ids.items()
        urgent = {d for name, d in ids if name in URGENT_FLOWS}
        served = [d for name, d in ids if self._mode.serves(name)]
        if not served:
            return 0
        claimed = 0
        due = _due(client, self._catalog.filter(served))
        for run in sorted(due, key=lambda r: r.deployment_id not in urgent):
            routine = run.deployment_id not in urgent
            flow = self._catalog.flows.get(run.deployment_id) if run.deployment_id else None
            if flow is None or not self._take(run.id, routine):
                continue
            self._pool.submit(self._claim_and_execute, run.id, flow, routine)
            claimed += 1
        return claimed

    def run_created(self, run: FlowRun) -> bool:
        """Run at once an urgent run this host created already claimed (Pending): no poll,
        no claim. False if this host does not run its flow, or runs it already."""
        flow = self._catalog.flows.get(run.deployment_id) if run.deployment_id else None
        if flow is None or not self._take(run.id, routine=False):
            return False
        with self._lock:
            self._starting[run.id] = time.monotonic()
        self._pool.submit(self._execute, run.id, flow, False, run)
        return True

    def starting(self) -> int:
        """How many urgent runs handed over by ``run_created`` are not yet running.

        While there are any, the host creates no lifecycle run: each would start a flow
        process on a worker, and a burst of them slows the Prefect server and this host
        just when twenty escalations are being started. A run that has not started
        within ``STARTING_FOR_AT_MOST_S`` no longer counts."""
        limit = time.monotonic() - STARTING_FOR_AT_MOST_S
        with self._lock:
            return sum(1 for handed in self._starting.values() if handed > limit)

    def shutdown(self) -> None:
        self._pool.shutdown()

    def _take(self, run_id: UUID, routine: bool) -> bool:
        """Mark the run as ours, unless it already is or the routine runs are all busy."""
        with self._lock:
            if run_id in self._inflight:
                return False
            if routine and not self._routine.acquire(blocking=False):
                return False  # the next poll claims it
            self._inflight.add(run_id)
            return True

    def _claim_and_execute(self, run_id: UUID, flow: Flow[..., Any], routine: bool) -> None:
        try:
            with get_client(sync_client=True) as client:
                result = client.set_flow_run_state(run_id, Pending())  # type: ignore[var-annotated]
        except Exception:
            self._done(run_id, routine)
            log.exception("could not claim run %s; the next poll tries again", run_id)
            return
        if result.status != SetStateStatus.ACCEPT:
            self._done(run_id, routine)  # another host claimed it
            return
        self._execute(run_id, flow, routine)

    def _execute(
        self, run_id: UUID, flow: Flow[..., Any], routine: bool, flow_run: FlowRun | None = None
    ) -> None:
        """Run the claimed run (``flow_run``: as its creation returned it, else read now)."""
        from prefect.flow_engine import run_flow

        try:
            with self._run_settings():
                if flow_run is None:
                    with get_client(sync_client=True) as client:
                        flow_run = client.read_flow_run(run_id)
                run_flow(self._telling(flow), flow_run=flow_run)
        except Pause:
            log.debug("run %s suspended", run_id)
        except Abort:
            log.info("run %s aborted by the orchestrator", run_id)
        except Exception as exc:  # the engine has recorded the failure on the run
            log.error("run %s failed: %s", run_id, type(exc).__name__)
        finally:
            self._done(run_id, routine)

    def _run_settings(self) -> SettingsContext:
        """Prefect's settings for the runs of this host: the current ones, heartbeats set.

        Made once (Prefect validates all its settings anew for each copy, 20 ms of CPU:
        a sixth of this host's while it started twenty escalation runs), and again only
        if the current settings are replaced."""
        # embedded: no heartbeats (the host reschedules its own orphans when it starts
        # again, and each would be one more write to Prefect's SQLite); beside workers a
        # host that dies leaves runs that Prefect's zombie automation finds by their silence
        beat = None if self._mode is Dispatch.ALL else HEARTBEAT_S
        context = get_settings_context()
        with self._lock:
            if self._settings is None or self._settings[0] is not context.settings:
                updates: dict[Any, Any] = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: beat}
                self._settings = (context.settings, context.settings.copy_with_update(updates))
            settings = self._settings[1]
        return SettingsContext(profile=context.profile, settings=settings)

    def _telling(self, flow: Flow[..., Any]) -> Flow[..., Any]:
        """The flow, with a hook that marks its run as running (``starting``)."""
        with self._lock:
            told = self._told.get(flow.name)
            if told is None:

                def started_on_this_host(_flow: Any, flow_run: FlowRun, _state: Any) -> None:
                    with self._lock:
                        self._starting.pop(flow_run.id, None)

                hooks: list[Any] = [*flow.on_running_hooks, started_on_this_host]
                told = flow.with_options(on_running=hooks)
                self._told[flow.name] = told
            return told

    def _done(self, run_id: UUID, routine: bool) -> None:
        with self._lock:
            self._starting.pop(run_id, None)
            self._inflight.discard(run_id)
            if routine:
                self._routine.release()


def _due(client: SyncPrefectClient, deployments: DeploymentFilter) -> list[FlowRun]:
    """The Scheduled runs of these deployments whose start time has come."""
    # a pure read: the workers' endpoint (get_scheduled_flow_runs_for_deployments)
    # also writes "last polled" on every call, which locks Prefect's SQLite
    return client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
            next_scheduled_start_time=FlowRunFilterNextScheduledStartTime(
                before_=prefect_now("UTC")
            ),
        ),
        deployment_filter=deployments,
        limit=PAGE,
    )
