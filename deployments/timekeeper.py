"""The time-keeper: pages every round of an urgent case that is due by the record.

Each round's due time follows from the record (``record.timetable``), not from a Prefect
run being alive: a worker that died, a run stuck Pending or a Prefect server that is down
delays no page. The escalation run still pages on the same timetable and is what members
see in the UI; whichever of the two reaches a round first records it, and the pages'
idempotency keys keep the other from sending it again.

Exactly one time-keeper pages at a time: each CARE host runs one, and they share a lease
in CARE's database (``record.leases``), renewed every poll. When its holder dies, another
host takes it over once it expires (``LEASE``), so a second host is a hot standby.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from datetime import datetime, timedelta

from adapters.paging import Claimed, deliver_pages, release_claimed, send_claimed
from deployments.pool import DaemonPool
from models import db
from models.db import utcnow
from record.leases import hold_lease, release_lease
from record.timetable import (
    CLAIM_AHEAD,
    TIMETABLE_LEASE,
    DueRound,
    due_rounds,
    stalled_pages,
)
from tasks.escalation import claim_due_round, page_due_round

log = logging.getLogger("care.timekeeper")
LEASE = timedelta(seconds=3)  # how long a dead holder keeps the others waiting
STALLED = timedelta(seconds=5)  # a page recorded and not handed over since: its sender died
AHEAD = CLAIM_AHEAD  # a round due this soon is recorded and claimed now
# the host's first-round pager sends an urgent case's first round as soon as it sees it;
# the time-keeper sends it only if that has not happened this long after (a dead host)
FIRST_ROUND_AFTER = timedelta(seconds=1)


class Timekeeper:
    """Find the rounds due (within ``AHEAD``) every `poll_s` while holding the lease; page
    each from a thread, at its deadline.

    A round found ahead of its deadline is recorded and its pages claimed at once
    ("ready", their messages queued), and waits in the alarm (one thread, a heap of
    deadlines) with no pager thread held. At the deadline one statement takes every page
    due at that moment whose case nobody took meanwhile, and they are sent: no
    transaction on the audit chain stands between a deadline and its SMS. An
    acknowledgement meanwhile cancels the claimed pages (``adapters.paging``); a
    time-keeper that stops gives them back, queued, and one that dies leaves them
    "ready": either way the next one sends them (``stalled_pages``)."""

    def __init__(self, *, poll_s: float = 0.5, pagers: int = 16, of_pid: int | None = None) -> None:
        self.poll_s = poll_s
        # ``of_pid``: the host this time-keeper keeps time for, as its own process
        pid = of_pid if of_pid is not None else os.getpid()
        self.holder = f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:8]}"
        self._pool = DaemonPool(pagers, "care-timekeeper")
        self._lock = threading.Lock()
        self._sending: set[tuple[str, int]] = set()
        self._claimed: dict[tuple[str, int], Claimed] = {}  # claimed ahead, not yet sent
        self._resuming: set[int] = set()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._alarm = threading.Condition()
        self._waiting: list[tuple[float, int, DueRound, Claimed]] = []  # a heap, by deadline
        self._order = itertools.count()
        self.holding = False

    def start(self) -> Timekeeper:
        for name, loop in (("care-timekeeper", self._loop), ("care-alarm", self._ring)):
            thread = threading.Thread(target=loop, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, *, release: bool = True) -> None:
        """Stop keeping time; `release` hands the lease over at once (not on a crash)."""
        self._stop.set()
        with self._alarm:
            self._alarm.notify_all()
        for thread in self._threads:
            thread.join(10)
        self._pool.shutdown()
        with self._lock:
            unsent = list(self._claimed.values())
        if unsent:  # claimed ahead, not sent: the next time-keeper (or the run) sends them
            try:
                release_claimed(unsent)
            except Exception:  # left "ready": taken over as stalled after their deadline
                log.exception("could not give back %d rounds claimed ahead", len(unsent))
        if release and self.holding:
            with db.session_scope() as session:
                release_lease(session, name=TIMETABLE_LEASE, holder=self.holder)

    def tick(self) -> int:
        """One look at the timetable; return how many due rounds were handed to a pager."""
        now = utcnow()
        with db.session_scope() as session:
            holding = hold_lease(
                session, name=TIMETABLE_LEASE, holder=self.holder, ttl=LEASE, now=now
            )
        if holding != self.holding:
            log.info("time-keeper %s %s the lease", self.holder, "took" if holding else "lost")
            self.holding = holding
        if not holding:
            return 0
        with db.session_scope() as session:
            due = due_rounds(session, now=now, ahead=AHEAD, first_after=FIRST_ROUND_AFTER)
            stalled = stalled_pages(session, now=now, grace=STALLED)
        if stalled:
            self._pool.submit(self._resume, stalled)
        return sum(self._hand_over(round_) for round_ in due)

    def _hand_over(self, due: DueRound) -> bool:
        key = (due.incident_code, due.round_index)
        with self._lock:
            if key in self._sending:
                return False
            self._sending.add(key)
        self._pool.submit(self._page, due)
        return True

    def _page(self, due: DueRound) -> None:
        """Page a round that is due; record one due soon, for the alarm to send."""
        started = utcnow()
        alarmed = False
        try:
            if due.send_at <= started:
                page_due_round(due)
                self._log_paged(due, started)
            elif (claimed := claim_due_round(due)).page_ids:  # none: recorded by another
                at = due.send_at.timestamp()
                with self._lock:
                    self._claimed[(due.incident_code, due.round_index)] = claimed
                with self._alarm:
                    heapq.heappush(self._waiting, (at, next(self._order), due, claimed))
                    self._alarm.notify()
                alarmed = True
        finally:
            if not alarmed:
                self._done(due)

    def _send(self, batch: list[tuple[DueRound, Claimed]]) -> None:
        """At the deadline: send the pages of every round due at this moment, claimed
        ahead of it, together (``send_claimed``: one statement takes them all, and the
        first page of each round goes first)."""
        started = utcnow()
        try:
            send_claimed([claimed for _due, claimed in batch])
            for due, _claimed in batch:
                self._log_paged(due, started)
        finally:
            for due, _claimed in batch:
                self._done(due)

    def _log_paged(self, due: DueRound, started: datetime) -> None:
        late = (started - due.send_at).total_seconds()
        took = (utcnow() - started).total_seconds()
        log.info(
            "%s: round %d paged (started %.2fs after due, sent in %.2fs)",
            due.incident_code,
            due.round_index,
            late,
            took,
        )

    def _done(self, due: DueRound) -> None:
        with self._lock:
            self._sending.discard((due.incident_code, due.round_index))
            self._claimed.pop((due.incident_code, due.round_index), None)

    def _ring(self) -> None:
        """Hand the rounds recorded ahead to a pager at their deadline, all those due at
        the same moment as one batch."""
        with self._alarm:
            while not self._stop.is_set():
                wait = None
                batch: list[tuple[DueRound, Claimed]] = []
                while self._waiting:
                    wait = self._waiting[0][0] - utcnow().timestamp()
                    if wait > 0:
                        break
                    _at, _order, due, claimed = heapq.heappop(self._waiting)
                    batch.append((due, claimed))
                    wait = None
                if batch:
                    self._pool.submit(self._send, batch)
                self._alarm.wait(wait)

    def _resume(self, page_ids: list[int]) -> None:
        """Send the pages a dead sender recorded but never handed over."""
        with self._lock:
            fresh = [page_id for page_id in page_ids if page_id not in self._resuming]
            self._resuming.update(fresh)
        if not fresh:
            return
        try:
            log.warning("sending %d pages a stopped process left unsent", len(fresh))
            deliver_pages(fresh)
        finally:
            with self._lock:
                self._resuming.difference_update(fresh)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("keeping the escalation timetable failed; retrying")
                self._stop.wait(1.0)
            self._stop.wait(self.poll_s)


class TimekeeperProcess:
    """The host's time-keeper in a process of its own (``python -m deployments.timekeeper
    --of PID``), started again by the host's sweep if it dies, and ending with the host.

    A host running escalations and acknowledgement forms in its threads is busy when
    twenty urgent cases come at once, and every thread waits its turn for Python's
    interpreter lock: a round's transaction, one short query after another, waited
    for it at each of them. In its own process the time-keeper has its own."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        command = [sys.executable, "-m", "deployments.timekeeper", "--of", str(os.getpid())]
        with self._lock:
            self._process = subprocess.Popen(command)

    def keep_alive(self) -> None:
        """Start the time-keeper again if it died (the lease covers the gap)."""
        with self._lock:
            process = self._process
        if process is not None and process.poll() is not None:
            log.warning("the time-keeper ended (exit %s); starting it again", process.returncode)
            self.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()  # it hands the lease over
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> None:
    """Keep time alone (`python -m deployments.timekeeper`): a standby beside `care host`,
    or (``--of PID``) the time-keeper of that host, in a process of its own, ending with
    it."""
    parser = argparse.ArgumentParser(description="CARE's escalation time-keeper")
    parser.add_argument("--of", type=int, default=None, help="the host's process id")
    host_pid = parser.parse_args(argv).of
    # CARE's own handler: importing Prefect may have configured the root logger already
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    care = logging.getLogger("care")
    care.addHandler(handler)
    care.setLevel(logging.INFO)
    care.propagate = False
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    keeper = Timekeeper(of_pid=host_pid).start()
    log.info("time-keeper %s started", keeper.holder)
    while not stopping.wait(0.5):
        if host_pid is not None and os.getppid() != host_pid:
            # the host died without stopping it (kill -9): so does its time-keeper, and
            # the lease is left to expire, as if both had died at once
            log.warning("the host %d is gone; the time-keeper stops", host_pid)
            keeper.stop(release=False)
            return
    log.info("time-keeper %s stopping (signal)", keeper.holder)
    keeper.stop()


if __name__ == "__main__":
    main()
