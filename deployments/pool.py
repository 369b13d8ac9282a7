"""A pool of daemon threads that never holds up the end of the process."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

log = logging.getLogger("care.host")


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
