"""The CARE host: starts each incident's flows from the record and runs flow runs in-process.

- Starter: every incident without a lifecycle run gets a `handle-incident` run; every
  urgent one without an escalation gets an `escalate-incident` run (when that flow is
  deployed). Intake only stores reports, so it works even while Prefect is down. An
  urgent incident's first round of pages is sent before its run is created: the first
  SMS waits on nothing but the record and Twilio, never on Prefect.
- Dispatcher (embedded default): runs the Scheduled runs of CARE's deployments in a thread
  of this process. A suspended run holds no thread, so a hundred incidents waiting on
  sign-off cost nothing; a resumed one starts in milliseconds, with no new process.
  In production a Prefect process worker can run the same deployments instead.
"""

from __future__ import annotations

import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from prefect import Flow
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterNextScheduledStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import SetStateStatus
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import Abort, Pause
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.states import Pending, Scheduled
from prefect.types._datetime import now as prefect_now
from sqlalchemy import and_, select, update

from deployments.registry import DEPLOYMENT, care_flows
from models import db
from models.settings import get_settings
from models.tables import Decision, Incident
from tasks.escalation import page_first_round
from tasks.orchestrate import wake

log = logging.getLogger("care.host")


@dataclass(frozen=True)
class Starter:
    """Which flow an incident gets, and where its run id is kept."""

    flow_name: str
    column: Any  # Incident.flow_run_id or Incident.escalation_flow_run_id
    only_urgent: bool
    run_prefix: str


# Urgent first: an escalation's run is created (and dispatched) before any lifecycle run,
# so the first SMS never queues behind the writes of the incident's other flows.
STARTERS = (
    Starter("escalate-incident", Incident.escalation_flow_run_id, True, "escalate"),
    Starter("handle-incident", Incident.flow_run_id, False, "incident"),
)
URGENT_FLOWS = frozenset({"escalate-incident"})
ROUTINE_AT_ONCE = 4


PAGE = 200  # the most runs the Prefect API returns at once
PAUSE_KEY = re.compile(r"(?:await-d|signoff-)(\d+)-[0-9a-f]+")


def waited_decision(pause_key: str | None) -> int | None:
    """The decision a suspended run waits on, read from its pause key."""
    match = PAUSE_KEY.fullmatch(pause_key or "")
    return int(match.group(1)) if match else None


def decision_moved_on(decision_id: int, since: datetime) -> bool:
    """Whether the decision was decided or answered after the run suspended."""
    with db.session_scope() as session:
        decision = session.get(Decision, decision_id)
        if decision is None:
            return False
        if decision.status != "pending":
            return True
        return any(a.created_at > since for a in decision.approvals)


class Host:
    """Start flows for new incidents and (optionally) run CARE's flow runs in threads."""

    def __init__(
        self, *, dispatch: bool = True, poll_s: float = 0.1, sweep_s: float = 5.0, workers: int = 64
    ) -> None:
        self.dispatch = dispatch
        self.poll_s = poll_s
        self.sweep_s = sweep_s
        self._flows: dict[UUID, Flow[..., Any]] = {}
        self._deployments: dict[str, UUID] = {}
        self._inflight: set[UUID] = set()
        self._escalating: set[int] = set()  # incidents whose first page is on its way
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._poke = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="care-run")
        self._urgent = ThreadPoolExecutor(max_workers=8, thread_name_prefix="care-page")
        # at most this many non-urgent runs at once: on SQLite, Prefect serialises writes,
        # and a burst of lifecycle runs must not delay an escalation's first SMS
        self._routine = threading.BoundedSemaphore(ROUTINE_AT_ONCE)
        self._threads: list[threading.Thread] = []

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> Host:
        self.register_deployments()
        if self.dispatch:
            self.reschedule_orphans()
        loops = [self._start_loop, self._sweep_loop]
        loops += [self._dispatch_loop] if self.dispatch else []
        for loop in loops:
            thread = threading.Thread(target=loop, name=f"care-{loop.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("CARE host started (dispatch=%s)", self.dispatch)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._poke.set()
        for thread in self._threads:
            thread.join(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._urgent.shutdown(wait=False, cancel_futures=True)

    def poke(self) -> None:
        """Look for new incidents and due runs now instead of at the next poll."""
        self._poke.set()

    def register_deployments(self) -> dict[str, UUID]:
        """Know each CARE flow's deployment; the embedded default creates them itself.

        With a Prefect worker running the flows, the deployments come from prefect.yaml
        (`prefect deploy --all`) and are only looked up here, never overwritten.
        """
        settings = get_settings()
        with get_client(sync_client=True) as client:
            for spec, flow in care_flows():
                if self.dispatch:
                    deployment = cast(
                        RunnerDeployment,
                        flow.to_deployment(name=DEPLOYMENT, interval=spec.schedule(settings)),
                    )
                    deployment_id = cast(UUID, deployment.apply())
                else:
                    deployment_id = client.read_deployment_by_name(f"{flow.name}/{DEPLOYMENT}").id
                self._deployments[flow.name] = deployment_id
                self._flows[deployment_id] = flow
        return dict(self._deployments)

    def reschedule_orphans(self) -> int:
        """Runs left Running or Pending by a host that died: run them again (re-entrant)."""
        runs = self.runs_in(StateType.RUNNING, StateType.PENDING)
        with get_client(sync_client=True) as client:
            for run in runs:
                client.set_flow_run_state(run.id, Scheduled(name="Rescheduled"), force=True)
        if runs:
            log.info("rescheduled %d runs interrupted by a restart", len(runs))
        return len(runs)

    def runs_in(self, *states: StateType) -> list[FlowRun]:
        """Every run of CARE's deployments in one of these states (paged: Prefect caps 200)."""
        found: list[FlowRun] = []
        with get_client(sync_client=True) as client:
            while True:
                page = client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(
                        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=list(states)))
                    ),
                    deployment_filter=DeploymentFilter(
                        id=DeploymentFilterId(any_=list(self._flows))
                    ),
                    limit=PAGE,
                    offset=len(found),
                )
                found += page
                if len(page) < PAGE:
                    return found

    # -- sweep: wakes that were lost ---------------------------------------------------------
    def sweep(self) -> int:
        """Wake suspended runs whose decision moved on in the record without waking them.

        A run waiting on a decision suspends with a pause key naming it (`await-d12-...`,
        `signoff-12-...`). If the answer was recorded but the wake was lost (Prefect was
        briefly unreachable, the CLI was killed), this finds it; returns how many it woke.
        """
        runs = self.runs_in(StateType.PAUSED)
        woken = 0
        for run in runs:
            if run.state is None:
                continue
            decision_id = waited_decision(run.state.state_details.pause_key)
            if decision_id is not None and decision_moved_on(decision_id, run.state.timestamp):
                woken += wake(run.id)
        return woken

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self.sweep_s):
            try:
                self.sweep()
            except Exception:
                log.exception("the sweep failed; trying again later")

    # -- starter --------------------------------------------------------------------------
    def _start_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.start_incident_flows()
            except Exception:
                log.exception("starting incident flows failed; retrying")
                self._stop.wait(1.0)
            self._poke.wait(self.poll_s)
            self._poke.clear()

    def start_incident_flows(self) -> int:
        """Create the runs that incidents in the record are missing; return how many."""
        started = 0
        for starter in STARTERS:
            deployment_id = self._deployments.get(starter.flow_name)
            if deployment_id is None:
                continue
            condition = starter.column.is_(None)
            if starter.only_urgent:
                condition = and_(condition, Incident.urgent.is_(True))
            with db.session_scope() as session:
                codes = list(
                    session.execute(
                        select(Incident.id, Incident.code).where(
                            condition, Incident.closed_at.is_(None)
                        )
                    )
                )
            for incident_id, code in codes:
                if starter.only_urgent:
                    started += self._escalate_soon(starter, deployment_id, incident_id, code)
                else:
                    self._create_run(starter, deployment_id, incident_id, code)
                    started += 1
        if started:
            self._poke.set()
        return started

    def _escalate_soon(
        self, starter: Starter, deployment_id: UUID, incident_id: int, code: str
    ) -> int:
        """Page the first round, then create the escalation run, in a thread of their own
        (a slow Twilio holds up no other incident); 0 if that is already under way."""
        with self._lock:
            if incident_id in self._escalating:
                return 0
            self._escalating.add(incident_id)
        self._urgent.submit(self._escalate, starter, deployment_id, incident_id, code)
        return 1

    def _escalate(self, starter: Starter, deployment_id: UUID, incident_id: int, code: str) -> None:
        try:
            try:
                page_first_round(code)
            except Exception:  # the run pages the round itself
                log.exception("%s: the first page failed; the escalation run will send it", code)
            self._create_run(starter, deployment_id, incident_id, code)
            self._poke.set()
        except Exception:  # the next poll tries again; the first page is not repeated
            log.exception("%s: creating the escalation run failed; retrying", code)
        finally:
            with self._lock:
                self._escalating.discard(incident_id)

    def _create_run(
        self, starter: Starter, deployment_id: UUID, incident_id: int, code: str
    ) -> None:
        with get_client(sync_client=True) as client:
            run = client.create_flow_run_from_deployment(
                deployment_id,
                parameters={"incident_code": code},
                name=f"{starter.run_prefix}-{code}",
                idempotency_key=f"{starter.flow_name}-{code}",
            )
        with db.session_scope() as session:
            session.execute(
                update(Incident)
                .where(Incident.id == incident_id, starter.column.is_(None))
                .values({starter.column.key: str(run.id)})
            )
        log.info("%s: %s run %s", code, starter.flow_name, run.id)

    # -- dispatcher -----------------------------------------------------------------------
    def _dispatch_loop(self) -> None:
        with get_client(sync_client=True) as client:
            while not self._stop.is_set():
                try:
                    self.dispatch_due(client)
                except Exception:
                    log.exception("dispatching flow runs failed; retrying")
                    self._stop.wait(1.0)
                self._poke.wait(self.poll_s)

    def dispatch_due(self, client: SyncPrefectClient) -> int:
        """Claim the due Scheduled runs of CARE's deployments and run each in a thread."""
        # a pure read: the workers' endpoint (get_scheduled_flow_runs_for_deployments)
        # also writes "last polled" on every call, which locks Prefect's SQLite
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
                next_scheduled_start_time=FlowRunFilterNextScheduledStartTime(
                    before_=prefect_now("UTC")
                ),
            ),
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=list(self._flows))),
            limit=PAGE,
        )
        claimed = 0
        urgent = {d for name, d in self._deployments.items() if name in URGENT_FLOWS}
        for run in sorted(runs, key=lambda r: r.deployment_id not in urgent):
            with self._lock:
                if run.id in self._inflight:
                    continue
                routine = run.deployment_id not in urgent
                if routine and not self._routine.acquire(blocking=False):
                    continue  # the next poll claims it
                self._inflight.add(run.id)
            result = client.set_flow_run_state(run.id, Pending())  # type: ignore[var-annotated]
            if result.status != SetStateStatus.ACCEPT or run.deployment_id not in self._flows:
                self._done(run.id, routine)
                continue
            self._pool.submit(self._execute, run.id, self._flows[run.deployment_id], routine)
            claimed += 1
        return claimed

    def _execute(self, run_id: UUID, flow: Flow[..., Any], routine: bool) -> None:
        from prefect.flow_engine import run_flow

        try:
            with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
                with get_client(sync_client=True) as client:
                    flow_run = client.read_flow_run(run_id)
                run_flow(flow, flow_run=flow_run)
        except Pause:
            log.debug("run %s suspended", run_id)
        except Abort:
            log.info("run %s aborted by the orchestrator", run_id)
        except Exception as exc:  # the engine has recorded the failure on the run
            log.error("run %s failed: %s", run_id, type(exc).__name__)
        finally:
            self._done(run_id, routine)

    def _done(self, run_id: UUID, routine: bool) -> None:
        with self._lock:
            self._inflight.discard(run_id)
            if routine:
                self._routine.release()

    @property
    def deployments(self) -> dict[str, UUID]:
        return dict(self._deployments)
