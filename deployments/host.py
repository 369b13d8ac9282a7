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
import queue
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
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

from adapters.prefect_api import DEPLOYMENT, wake
from deployments import revive
from deployments.registry import care_flows
from models import db
from models.settings import get_settings
from models.tables import Decision, Incident
from tasks.escalation import page_first_round

log = logging.getLogger("care.host")


@dataclass(frozen=True)
class Starter:
    """Which flow an incident gets, and where its run id is kept."""

    flow_name: str
    column: Any  # Incident.flow_run_id or Incident.escalation_flow_run_id
    only_urgent: bool
    run_prefix: str


# Urgent first: the first round of pages goes out before Prefect hears of the incident,
# and escalation runs are created (and dispatched) before any lifecycle run.
ESCALATION = Starter("escalate-incident", Incident.escalation_flow_run_id, True, "escalate")
STARTERS = (ESCALATION, Starter("handle-incident", Incident.flow_run_id, False, "incident"))
URGENT_FLOWS = frozenset({"escalate-incident", "acknowledge-urgent"})
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


class DaemonPool:
    """Run jobs in at most ``workers`` daemon threads, started as they are needed.

    Unlike a ThreadPoolExecutor, whose threads the interpreter joins at exit, these never
    hold up the process's end: an escalation that waits for an acknowledgement would keep
    Ctrl-C from stopping CARE. A run cut off this way is left Running in Prefect, and the
    next host start runs it again (the flows are re-entrant).
    """

    def __init__(self, workers: int, name: str) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._workers, self._name = workers, name
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        with self._lock:
            if self._idle == 0 and len(self._threads) < self._workers:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            else:
                self._idle -= 1  # an idle thread takes this job
        self._jobs.put(partial(fn, *args))

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception:
                log.exception("a %s job failed", self._name)
            with self._lock:
                self._idle += 1

    def shutdown(self) -> None:
        """Let the threads end after their current job; jobs still queued are dropped."""
        while True:
            try:
                self._jobs.get_nowait()
            except queue.Empty:
                break
        for _ in self._threads:
            self._jobs.put(None)


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
        self._paging: set[int] = set()  # urgent incidents whose first round is on its way
        self._paged: set[int] = set()  # ... and whose first round went out
        self._urgent_waiting = 0  # urgent incidents without an escalation run
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._poke = threading.Event()  # the dispatcher: runs may be due
        self._pokes = {starter.flow_name: threading.Event() for starter in STARTERS}
        self._page_poke = threading.Event()
        self._pool = DaemonPool(workers, "care-run")
        # the first round of pages, sent before Prefect hears of the incident: a slow
        # Twilio delays no other incident, and a busy or absent Prefect delays no SMS
        self._pagers = DaemonPool(8, "care-page")
        # at most this many non-urgent runs at once: on SQLite, Prefect serialises writes,
        # and a burst of lifecycle runs must not delay an escalation's first SMS
        self._routine = threading.BoundedSemaphore(ROUTINE_AT_ONCE)
        self._threads: list[threading.Thread] = []

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> Host:
        self.register_deployments()
        if self.dispatch:
            self.reschedule_orphans()
        # one starter loop each: creating a lifecycle run can wait seconds on a busy
        # Prefect, and must never hold up noticing the next urgent incident
        loops: list[tuple[str, Callable[[], None]]] = [
            (f"start-{starter.run_prefix}", partial(self._start_loop, starter))
            for starter in STARTERS
        ]
        loops.append(("page", self._page_loop))
        loops.append(("sweep", self._sweep_loop))
        loops += [("dispatch", self._dispatch_loop)] if self.dispatch else []
        for name, loop in loops:
            thread = threading.Thread(target=loop, name=f"care-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("CARE host started (dispatch=%s)", self.dispatch)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.poke()
        for thread in self._threads:
            thread.join(timeout)
        self._pool.shutdown()
        self._pagers.shutdown()

    def poke(self) -> None:
        """Look for new incidents and due runs now instead of at the next poll."""
        for event in (self._poke, self._page_poke, *self._pokes.values()):
            event.set()

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

    def restart_failed(self) -> int:
        """Start again the incident runs that failed for good or crashed (``revive``)."""
        failed = {str(run.id) for run in self.runs_in(StateType.FAILED, StateType.CRASHED)}
        restarted = 0
        for starter in STARTERS:
            deployment_id = self._deployments.get(starter.flow_name)
            if deployment_id is None:
                continue
            for incident_id, code, run_id in revive.stopped(starter.column, failed):
                attempt = revive.next_attempt(code, starter.flow_name, run_id)
                if attempt is not None:
                    self._create_run(starter, deployment_id, incident_id, code, attempt=attempt)
                    restarted += 1
        return restarted

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self.sweep_s):
            for job in (self.sweep, self.restart_failed):
                try:
                    job()
                except Exception:
                    log.exception("the sweep (%s) failed; trying again later", job.__name__)

    # -- starter --------------------------------------------------------------------------
    def _page_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.page_new_urgent()
            except Exception:
                log.exception("looking for urgent incidents failed; retrying")
                self._stop.wait(1.0)
            self._page_poke.wait(self.poll_s)
            self._page_poke.clear()

    def _start_loop(self, starter: Starter) -> None:
        poke = self._pokes[starter.flow_name]
        while not self._stop.is_set():
            try:
                self.start_incident_flows(starter)
            except Exception:
                log.exception("starting %s runs failed; retrying", starter.flow_name)
                self._stop.wait(1.0)
            poke.wait(self.poll_s)
            poke.clear()

    def start_incident_flows(self, *starters: Starter) -> int:
        """Create the runs that incidents in the record are missing; return how many.

        An urgent incident first gets its first round of pages, from a pool of pagers;
        its run is created once that is done. No lifecycle run is created while an urgent
        incident waits for its run: on SQLite, Prefect takes one write at a time.
        """
        started = 0
        for starter in starters or STARTERS:
            deployment_id = self._deployments.get(starter.flow_name)
            if deployment_id is None:
                continue
            missing = self._missing(starter)
            if starter.only_urgent:
                self._urgent_waiting = len(missing)
            for incident_id, code in missing:
                if not starter.only_urgent:
                    if self._urgent_waiting:
                        break  # the escalations' runs first
                    self._create_run(starter, deployment_id, incident_id, code)
                elif self._first_round_sent(incident_id):  # else a pager pokes us
                    try:
                        self._create_run(starter, deployment_id, incident_id, code)
                    except Exception:
                        self._urgent_waiting = 0  # Prefect refuses it: hold up nothing else
                        raise
                    with self._lock:
                        self._paged.discard(incident_id)
                else:
                    continue
                started += 1
        if started:
            self._poke.set()
        return started

    @staticmethod
    def _missing(starter: Starter) -> list[tuple[int, str]]:
        """(id, code) of the open incidents without the starter's run."""
        condition = starter.column.is_(None)
        if starter.only_urgent:
            condition = and_(condition, Incident.urgent.is_(True))
        with db.session_scope() as session:
            open_ = Incident.closed_at.is_(None)
            query = select(Incident.id, Incident.code).where(condition, open_)
            return [(incident_id, code) for incident_id, code in session.execute(query)]

    def page_new_urgent(self) -> int:
        """Send the first round of every urgent incident that has no escalation run yet
        (each from a pager thread); return how many were handed to a pager."""
        handed = 0
        for incident_id, code in self._missing(ESCALATION):
            with self._lock:
                if incident_id in self._paged or incident_id in self._paging:
                    continue
                self._paging.add(incident_id)
            self._pagers.submit(self._page_first_round, incident_id, code)
            handed += 1
        return handed

    def _first_round_sent(self, incident_id: int) -> bool:
        with self._lock:
            return incident_id in self._paged

    def _page_first_round(self, incident_id: int, code: str) -> None:
        try:
            page_first_round(code)
        except Exception:  # the run pages the round itself
            log.exception("%s: the first page failed; the escalation run will send it", code)
        with self._lock:
            self._paging.discard(incident_id)
            self._paged.add(incident_id)
        self._pokes[ESCALATION.flow_name].set()

    def _create_run(
        self, starter: Starter, deployment_id: UUID, incident_id: int, code: str, attempt: int = 0
    ) -> None:
        """Create the incident's run (``attempt`` > 0: a new one for a run that stopped)."""
        key = f"{starter.flow_name}-{code}" + (f"-restart-{attempt}" if attempt else "")
        with get_client(sync_client=True) as client:
            run = client.create_flow_run_from_deployment(
                deployment_id,
                parameters={"incident_code": code},
                name=f"{starter.run_prefix}-{code}",
                idempotency_key=key,
            )
        unset = starter.column.is_(None) if not attempt else starter.column.is_not(None)
        with db.session_scope() as session:
            session.execute(
                update(Incident)
                .where(Incident.id == incident_id, unset)
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
