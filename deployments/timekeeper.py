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

import logging
import os
import signal
import socket
import threading
import uuid
from datetime import timedelta

from adapters.paging import deliver_pages
from deployments.pool import DaemonPool
from models import db
from models.db import utcnow
from record.leases import hold_lease, release_lease
from record.timetable import DueRound, due_rounds, stalled_pages
from tasks.escalation import page_due_round

log = logging.getLogger("care.timekeeper")
LEASE_NAME = "escalation-timetable"
LEASE = timedelta(seconds=3)  # how long a dead holder keeps the others waiting
STALLED = timedelta(seconds=5)  # a page recorded and not handed over since: its sender died


class Timekeeper:
    """Find the due rounds every `poll_s` while holding the lease; page each from a thread."""

    def __init__(self, *, poll_s: float = 0.2, pagers: int = 8) -> None:
        self.poll_s = poll_s
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._pool = DaemonPool(pagers, "care-timekeeper")
        self._lock = threading.Lock()
        self._sending: set[tuple[str, int]] = set()
        self._resuming: set[int] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.holding = False

    def start(self) -> Timekeeper:
        self._thread = threading.Thread(target=self._loop, name="care-timekeeper", daemon=True)
        self._thread.start()
        return self

    def stop(self, *, release: bool = True) -> None:
        """Stop keeping time; `release` hands the lease over at once (not on a crash)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self._pool.shutdown()
        if release and self.holding:
            with db.session_scope() as session:
                release_lease(session, name=LEASE_NAME, holder=self.holder)

    def tick(self) -> int:
        """One look at the timetable; return how many due rounds were handed to a pager."""
        now = utcnow()
        with db.session_scope() as session:
            holding = hold_lease(session, name=LEASE_NAME, holder=self.holder, ttl=LEASE, now=now)
        if holding != self.holding:
            log.info("time-keeper %s %s the lease", self.holder, "took" if holding else "lost")
            self.holding = holding
        if not holding:
            return 0
        with db.session_scope() as session:
            due = due_rounds(session, now=now)
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
        try:
            page_due_round(due)
            late = (utcnow() - due.due_at).total_seconds()
            log.info(
                "%s: round %d paged (%.2fs after due)", due.incident_code, due.round_index, late
            )
        finally:
            with self._lock:
                self._sending.discard((due.incident_code, due.round_index))

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


def main() -> None:
    """Keep time alone (`python -m deployments.timekeeper`): a standby beside `care host`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    keeper = Timekeeper().start()
    stopping.wait()
    keeper.stop()


if __name__ == "__main__":
    main()
