"""CARE's Prefect server: `prefect server start`, with resumes that wait their turn.

Prefect 3.9 on SQLite opens most write transactions as ``BEGIN DEFERRED``: the
transaction reads first and asks for the write lock only at its first write. If another
connection has written in between, SQLite cannot give it the lock at all and answers
``database is locked`` at once, without waiting ``busy_timeout`` (SQLITE_BUSY_SNAPSHOT).
Resuming a paused run is such a transaction (read the run, then set its state and store
the form's answer), so under load a member's answer in the Prefect UI failed with
"Oops. Something went wrong" and was lost; the UI does not retry.

CARE's server registers, through Prefect's own database dependency hook, a configuration
that begins the first transaction of a resume request ``IMMEDIATE``, as Prefect already
does for a state change: the resume takes the write lock before it reads, waits for it up
to ``busy_timeout`` (60 s), and is never refused. Every other transaction is begun as
Prefect begins it. (Beginning *every* write transaction IMMEDIATE was tried first. It is
not needed, and it makes far more writers wait in ``busy_timeout``, which is what the
freeze below needs.)

And the 60 s stall itself: Python's garbage collector froze the server. A cursor whose
statement failed (``database is locked``) keeps its SQLite statement until it is freed, and
the exception's traceback holds it in a reference cycle, so the cyclic collector frees it,
at some later moment, in whichever thread it runs, most often the event loop's. If that
cursor's connection is just then waiting for the write lock (up to ``busy_timeout``, 60 s)
in its own aiosqlite thread, freeing the cursor waits for that connection, and the event
loop waits with it. The writer holding the lock needs the event loop to commit, so the
wait always ran the full 60 s, and every request of the server with it. CARE's server
therefore runs the cyclic collector in a thread of its own (``collect_garbage_off_the_loop``):
the thread may wait; the event loop does not.

Requests that take longer than ``SLOW_S`` are logged, so a stall shows in the server's log.
PostgreSQL (production) needs none of this and is left alone.

Run it as ``python -m deployments.prefect_server [prefect server start options]``.
"""

from __future__ import annotations

import gc
import logging
import re
import sys
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, MutableMapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from prefect.server.database import configurations, dependencies
from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL
from sqlalchemy.engine import make_url

log = logging.getLogger("care.prefect_server")
SLOW_S = 5.0
RESUME = re.compile(r"/api/flow_runs/[0-9a-fA-F-]{36}/resume/?")
# set for the length of a resume request: whether its first transaction is still to come
_FIRST_OF_RESUME: ContextVar[list[bool] | None] = ContextVar("care_first_of_resume", default=None)

Scope = MutableMapping[str, Any]
Asgi = Callable[[Scope, Any, Any], Awaitable[None]]


class ImmediateSqliteConfiguration(configurations.AioSqliteConfiguration):
    """Prefect's SQLite configuration; a resume's first transaction is begun IMMEDIATE."""

    @asynccontextmanager
    async def begin_transaction(
        self, session: Any, with_for_update: bool = False
    ) -> AsyncGenerator[Any, None]:
        first = _FIRST_OF_RESUME.get()
        if first and first[0]:
            first[0] = False  # a transaction opened inside this one is begun as Prefect does
            with_for_update = True  # Prefect's way to ask for BEGIN IMMEDIATE
        async with super().begin_transaction(session, with_for_update) as transaction:
            yield transaction


def resumes_wait_their_turn(app: Asgi) -> Asgi:
    """Prefect's app, with resume requests marked for ``ImmediateSqliteConfiguration`` and
    slow requests logged."""

    async def care_app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        resume = scope["method"] == "POST" and RESUME.fullmatch(scope["path"]) is not None
        token = _FIRST_OF_RESUME.set([True] if resume else None)
        started = time.monotonic()
        try:
            await app(scope, receive, send)
        finally:
            _FIRST_OF_RESUME.reset(token)
            took = time.monotonic() - started
            if took > SLOW_S:
                log.warning("slow request: %s %s took %.1f s", scope["method"], scope["path"], took)

    return care_app


def collect_garbage_off_the_loop(every_s: float = 0.05) -> threading.Thread:
    """Stop Python's automatic cyclic collection in this process and run it in a daemon
    thread instead, on the same thresholds (the oldest generation over its threshold is
    collected, as CPython does)."""
    thresholds = gc.get_threshold()

    def collect() -> None:
        while True:
            time.sleep(every_s)
            counts = gc.get_count()
            due = [g for g in (2, 1, 0) if counts[g] > thresholds[g]]
            if due:
                gc.collect(due[0])

    gc.disable()
    thread = threading.Thread(target=collect, name="care-gc", daemon=True)
    thread.start()
    return thread


def use_immediate_transactions() -> bool:
    """Have this process's Prefect server begin resumes IMMEDIATE (SQLite only)."""
    url = PREFECT_API_DATABASE_CONNECTION_URL.value()
    if make_url(url).get_backend_name() != "sqlite":
        return False
    current = dependencies.MODELS_DEPENDENCIES["database_config"]
    if current is not None and not isinstance(current, ImmediateSqliteConfiguration):
        raise RuntimeError("CARE: Prefect's database configuration was set before CARE's")
    dependencies.MODELS_DEPENDENCIES["database_config"] = ImmediateSqliteConfiguration(
        connection_url=url
    )
    return True


def main(argv: Sequence[str] | None = None) -> None:
    """Start Prefect's server in this process, with CARE's SQLite transactions."""
    from prefect.cli import app
    from prefect.server.api import server

    if use_immediate_transactions():
        collect_garbage_off_the_loop()
    create_app = server.create_app

    def care_create_app(*args: Any, **kwargs: Any) -> Any:
        return resumes_wait_their_turn(create_app(*args, **kwargs))

    server.create_app = care_create_app  # uvicorn gets its app from here
    args = sys.argv[1:] if argv is None else list(argv)
    sys.argv = ["prefect", "server", "start", *args]  # Prefect's CLI reads its arguments there
    app()


if __name__ == "__main__":
    main()
