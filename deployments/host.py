"""The CARE host: starts each incident's flows from the record and runs flow runs in-process.

Each job has its own module; this one starts their loops and stops them:
- ``starter``: every incident without a lifecycle run gets a `handle-incident` run; every
  urgent one without an escalation gets an `escalate-incident` run (when deployed).
- ``pager``: an urgent incident's first round of pages goes out before its run is created:
  the first SMS waits on nothing but the record and Twilio, never on Prefect.
- ``timekeeper``: pages every round of an urgent case when the record says it is due,
  whether or not its escalation run is alive (one host at a time, by a lease).
- ``lost_runs``: Prefect's zombie-run automation (created here) and runs stuck Pending:
  both end Crashed, and the sweep starts them again.
- ``sweep``: wakes runs whose wake was lost, starts again runs that stopped.
- ``dispatcher``: runs Scheduled runs of CARE's deployments in threads of this process:
  all of them on the embedded default (``Dispatch.ALL``); beside Prefect process workers,
  the urgent flows only (``Dispatch.URGENT``: an escalation never waits for a new process).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from functools import partial
from uuid import UUID

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.objects import FlowRun, StateType

from adapters.prefect_tls import share_tls_contexts
from deployments.catalog import Catalog
from deployments.dispatcher import Dispatcher
from deployments.lost_runs import crash_stuck, ensure_zombie_automation, remove_zombie_automation
from deployments.pager import FirstRoundPager
from deployments.serving import Dispatch
from deployments.starter import ESCALATION, STARTERS, RunStarter, Starter, missing
from deployments.sweep import Sweeper
from deployments.timekeeper import Timekeeper, TimekeeperProcess
from models import db
from models.db import utcnow
from record.health import host_alive, host_stopped

log = logging.getLogger("care.host")


class Host:
    """Start flows for new incidents and (optionally) run CARE's flow runs in threads."""

    def __init__(
        self,
        *,
        dispatch: Dispatch = Dispatch.ALL,
        poll_s: float = 0.1,
        sweep_s: float = 5.0,
        workers: int = 64,
        timekeeper_process: bool = False,
    ) -> None:
        share_tls_contexts()  # each flow run it starts creates Prefect clients
        self.dispatch = dispatch
        self.poll_s = poll_s
        self.sweep_s = sweep_s
        self._stop = threading.Event()
        self._poke = threading.Event()  # the dispatcher: runs may be due
        self._pokes = {starter.flow_name: threading.Event() for starter in STARTERS}
        self._page_poke = threading.Event()
        self._catalog = Catalog()
        self._pager = FirstRoundPager(on_sent=self._pokes[ESCALATION.flow_name].set)
        self._dispatcher = Dispatcher(self._catalog, workers=workers, mode=dispatch)
        here = self._dispatcher.run_created if dispatch.serves(ESCALATION.flow_name) else None
        self._starter = RunStarter(
            self._catalog, self._pager, run_here=here, urgent_starting=self._dispatcher.starting
        )
        self._sweeper = Sweeper(self._catalog, self._starter)
        # the time-keeper pages every round at its deadline; in a process of its own
        # (``care host``), the flow runs in this one never hold up its work
        self.timekeeper = None if timekeeper_process else Timekeeper()
        self._keeper = TimekeeperProcess() if timekeeper_process else None
        self._threads: list[threading.Thread] = []
        self.holder = f"{socket.gethostname()}:{os.getpid()}"  # in `care status`

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> Host:
        self.alive()
        self.register_deployments()
        try:
            if self.dispatch is Dispatch.ALL:  # its runs send no heartbeat (dispatcher)
                remove_zombie_automation()
            else:
                ensure_zombie_automation(list(self._catalog.flows))
        except Exception:  # Prefect without automations: the sweep still finds stuck runs
            log.exception("could not set up the automation for runs that stop heartbeating")
        if self.dispatch is Dispatch.ALL:
            # the only process running CARE's flows: what it left Running is its own. Beside
            # workers (or another host) a Running run may be alive elsewhere; runs that lost
            # their process stop heartbeating and Prefect's automation marks them Crashed
            self.reschedule_orphans()
        # one starter loop each: creating a lifecycle run can wait seconds on a busy
        # Prefect, and must never hold up noticing the next urgent incident
        loops: list[tuple[str, Callable[[], None]]] = [
            (f"start-{starter.run_prefix}", partial(self._start_loop, starter))
            for starter in STARTERS
        ]
        loops.append(("page", self._page_loop))
        loops.append(("sweep", self._sweep_loop))
        loops += [("dispatch", self._dispatch_loop)] if self.dispatch is not Dispatch.NONE else []
        for name, loop in loops:
            thread = threading.Thread(target=loop, name=f"care-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.timekeeper is not None:
            self.timekeeper.start()
        if self._keeper is not None:
            self._keeper.start()
        log.info("CARE host started (dispatch=%s)", self.dispatch)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.poke()
        for thread in self._threads:
            thread.join(timeout)
        if self.timekeeper is not None:
            self.timekeeper.stop()
        if self._keeper is not None:
            self._keeper.stop(timeout)
        self._dispatcher.shutdown()
        self._pager.shutdown()
        try:
            with db.session_scope() as session:
                host_stopped(session, holder=self.holder)
        except Exception:  # the record is gone: `care status` sees the host silent
            log.exception("could not record that this host stopped")

    def poke(self) -> None:
        """Look for new incidents and due runs now instead of at the next poll."""
        for event in (self._poke, self._page_poke, *self._pokes.values()):
            event.set()

    # -- the jobs, one call each ----------------------------------------------------------
    def register_deployments(self) -> dict[str, UUID]:
        """Know each CARE flow's deployment; the embedded default creates them itself."""
        return self._catalog.register(create=self.dispatch is Dispatch.ALL)

    def reschedule_orphans(self) -> int:
        return self._dispatcher.reschedule_orphans()

    def runs_in(self, *states: StateType) -> list[FlowRun]:
        return self._catalog.runs_in(*states)

    def sweep(self) -> int:
        return self._sweeper.sweep()

    def restart_failed(self) -> int:
        return self._sweeper.restart_failed()

    def alive(self) -> None:
        """Say in the record that this host loops (`care status` shows its last loop)."""
        with db.session_scope() as session:
            host_alive(session, holder=self.holder, now=utcnow())

    def crash_stuck(self) -> int:
        """Mark Crashed the runs stuck Pending, for `restart_failed` to start again."""
        return crash_stuck(self._catalog, now=utcnow())

    def start_incident_flows(self, *starters: Starter) -> int:
        """Create the runs that incidents in the record are missing; return how many."""
        started = self._starter.start(*starters)
        if started:
            self._poke.set()
        return started

    def page_new_urgent(self) -> int:
        """Hand the first round of every urgent incident without a run to a pager."""
        return self._pager.page(missing(ESCALATION))

    def dispatch_due(self, client: SyncPrefectClient) -> int:
        return self._dispatcher.dispatch_due(client)

    @property
    def deployments(self) -> dict[str, UUID]:
        return dict(self._catalog.ids)

    # -- the loops --------------------------------------------------------------------------
    def _repeat(self, job: Callable[[], object], event: threading.Event, failed: str) -> None:
        """Run ``job`` until stopped, again when poked or after ``poll_s``."""
        while not self._stop.is_set():
            try:
                job()
            except Exception:
                log.exception("%s; retrying", failed)
                self._stop.wait(1.0)
            event.wait(self.poll_s)
            event.clear()

    def _page_loop(self) -> None:
        self._repeat(self.page_new_urgent, self._page_poke, "looking for urgent incidents failed")

    def _start_loop(self, starter: Starter) -> None:
        job = partial(self.start_incident_flows, starter)
        self._repeat(
            job, self._pokes[starter.flow_name], f"starting {starter.flow_name} runs failed"
        )

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self.sweep_s):
            jobs: list[Callable[[], object]] = [
                self.alive,
                self.sweep,
                self.crash_stuck,
                self.restart_failed,
            ]
            if self._keeper is not None:
                jobs.append(self._keeper.keep_alive)
            for job in jobs:
                try:
                    job()
                except Exception:
                    log.exception("the sweep (%s) failed; trying again later", job.__name__)

    def _dispatch_loop(self) -> None:
        with get_client(sync_client=True) as client:
            while not self._stop.is_set():
                try:
                    self.dispatch_due(client)
                except Exception:
                    log.exception("dispatching flow runs failed; retrying")
                    self._stop.wait(1.0)
                self._poke.wait(self.poll_s)
