"""The first round of an urgent incident's pages, sent before Prefect hears of it.

A slow Twilio delays no other incident (each round goes out from a pager thread), and a
busy or absent Prefect delays no SMS: the escalation run is created once the round is out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from deployments.pool import DaemonPool
from record.flow_runs import OpenIncident
from tasks.escalation import page_first_round

log = logging.getLogger("care.host")


class FirstRoundPager:
    """Hand each urgent incident's first round to a pager thread, once."""

    def __init__(self, *, on_sent: Callable[[], None], workers: int = 8) -> None:
        self._on_sent = on_sent  # e.g. poke the escalation starter
        self._pool = DaemonPool(workers, "care-page")
        self._lock = threading.Lock()
        self._paging: set[int] = set()  # urgent incidents whose first round is on its way
        self._paged: set[int] = set()  # ... and whose first round went out

    def page(self, incidents: list[OpenIncident]) -> int:
        """Send the first round of each incident not yet handed over; return how many were."""
        handed = 0
        for incident_id, code in incidents:
            with self._lock:
                if incident_id in self._paged or incident_id in self._paging:
                    continue
                self._paging.add(incident_id)
            self._pool.submit(self._page_first_round, incident_id, code)
            handed += 1
        return handed

    def sent(self, incident_id: int) -> bool:
        """Whether the incident's first round went out (or failed: its run will page)."""
        with self._lock:
            return incident_id in self._paged

    def forget(self, incident_id: int) -> None:
        """The incident has its escalation run: nothing more to remember."""
        with self._lock:
            self._paged.discard(incident_id)

    def shutdown(self) -> None:
        self._pool.shutdown()

    def _page_first_round(self, incident_id: int, code: str) -> None:
        try:
            page_first_round(code)
        except Exception:  # the run pages the round itself
            log.exception("%s: the first page failed; the escalation run will send it", code)
        with self._lock:
            self._paging.discard(incident_id)
            self._paged.add(incident_id)
        self._on_sent()
