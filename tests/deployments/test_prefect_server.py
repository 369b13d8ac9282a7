"""Answers given in the Prefect UI are not lost while other clients write to Prefect's SQLite.

Prefect's own server begins the resume transaction DEFERRED; with writers beside it, most
resumes failed at once with 503 "database is locked" (87 of 100 in bench/answers.py). CARE's
server begins a resume IMMEDIATE: every resume waits its turn and is accepted.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from deployments.prefect_server import ImmediateSqliteConfiguration, use_immediate_transactions
from tests.support.prefect_load import a_deployment, paused_run, resume, stored, writers
from tests.support.prefect_server import care_prefect_server


def test_every_answer_is_accepted_while_others_write(tmp_path: Path) -> None:
    with care_prefect_server(tmp_path) as base:
        _answers_while_others_write(f"{base}/api")


def _answers_while_others_write(api: str) -> None:
    with httpx.Client(base_url=api, timeout=90) as client:
        target = a_deployment(client)
        runs = [paused_run(client, target) for _ in range(30)]
        with writers(api, target, count=3, limit_s=120):
            answers = [resume(client, run.run_id) for run in runs]
        states = {client.get(f"/flow_runs/{run.run_id}").json()["state"]["name"] for run in runs}
        kept = [stored(client, run) for run in runs]
    assert [code for code, _, _ in answers if code >= 500] == []
    assert {verdict for _, _, verdict in answers} == {"ACCEPT"}
    assert states == {"Resuming"}
    assert all(kept)  # every answer is stored for the run to read


def test_only_sqlite_gets_the_immediate_configuration(monkeypatch: object) -> None:
    from prefect.server.database import dependencies
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL, temporary_settings

    saved = dependencies.MODELS_DEPENDENCIES["database_config"]
    try:
        dependencies.MODELS_DEPENDENCIES["database_config"] = None
        with temporary_settings({PREFECT_API_DATABASE_CONNECTION_URL: "postgresql+asyncpg://x/y"}):
            assert use_immediate_transactions() is False
        assert dependencies.MODELS_DEPENDENCIES["database_config"] is None
        with temporary_settings({PREFECT_API_DATABASE_CONNECTION_URL: "sqlite+aiosqlite:///x.db"}):
            assert use_immediate_transactions() is True
        chosen = dependencies.MODELS_DEPENDENCIES["database_config"]
        assert isinstance(chosen, ImmediateSqliteConfiguration)
    finally:
        dependencies.MODELS_DEPENDENCIES["database_config"] = saved


def test_only_the_first_transaction_of_a_resume_is_begun_immediate(tmp_path: Path) -> None:
    """Inside a resume request the first transaction takes the lock before it reads; one
    opened inside it, and every transaction of any other request, begins as Prefect's."""
    import asyncio

    from prefect.server.database import configurations
    from sqlalchemy.ext.asyncio import AsyncSession

    from deployments.prefect_server import resumes_wait_their_turn

    config = ImmediateSqliteConfiguration(connection_url=f"sqlite+aiosqlite:///{tmp_path}/p.db")
    seen: list[tuple[str, str | None]] = []

    async def endpoint(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        engine = await config.engine()
        async with AsyncSession(engine) as outer, config.begin_transaction(outer):
            seen.append((str(scope["path"]), configurations.SQLITE_BEGIN_MODE.get()))
            async with AsyncSession(engine) as inner, config.begin_transaction(inner):
                seen.append(("inside", configurations.SQLITE_BEGIN_MODE.get()))
            async with AsyncSession(engine) as held, config.begin_transaction(held, True):
                seen.append(("for update", configurations.SQLITE_BEGIN_MODE.get()))

    app = resumes_wait_their_turn(endpoint)
    run = "0b6f6bd6-9c3c-4d8e-9d6c-3f3a4c9e6a01"

    async def requests() -> None:
        for method, path in [("POST", f"/api/flow_runs/{run}/resume"), ("GET", "/api/health")]:
            await app({"type": "http", "method": method, "path": path}, None, None)

    asyncio.run(requests())
    assert seen == [
        (f"/api/flow_runs/{run}/resume", "IMMEDIATE"),
        ("inside", "DEFERRED"),
        ("for update", "IMMEDIATE"),
        ("/api/health", "DEFERRED"),
        ("inside", "DEFERRED"),
        ("for update", "IMMEDIATE"),
    ]


# A failed cursor, held in a reference cycle, is freed by the cyclic collector while its
# connection waits 3 s for the write lock; the event loop allocates meanwhile, as the
# server does. Prints the longest the loop stood still.
FREEING_A_FAILED_CURSOR = """
import asyncio, gc, sqlite3, sys, threading, time
from deployments.prefect_server import collect_garbage_off_the_loop

gc.disable()
path = sys.argv[2]
holder = sqlite3.connect(path, isolation_level=None)
holder.execute("pragma journal_mode=wal")
holder.execute("create table t (x)")
holder.execute("begin immediate")
holder.execute("insert into t values (1)")  # holds the write lock throughout
waiting = sqlite3.connect(path, isolation_level=None, timeout=0.1, check_same_thread=False)

class Cycle:
    pass

cycle = Cycle()
cycle.self = cycle
cycle.cursor = waiting.cursor()
try:
    cycle.cursor.execute("insert into t values (2)")
except sqlite3.OperationalError:  # database is locked: the cursor keeps its statement
    pass
del cycle
waiting.execute("pragma busy_timeout = 3000")
threading.Thread(target=lambda: waiting.execute("insert into t values (3)")).start()
time.sleep(0.3)  # the connection now waits for the lock, holding its own mutex

async def main():
    gaps, last = [0.0], time.monotonic()
    garbage = []
    for _ in range(200):
        garbage.append([[] for _ in range(2000)])  # the loop's own work allocates
        garbage[-1].append(garbage[-1])
        del garbage[:-1]
        await asyncio.sleep(0.01)
        now = time.monotonic()
        gaps.append(now - last)
        last = now
    print(max(gaps))

if sys.argv[1] == "off-the-loop":
    collect_garbage_off_the_loop()
else:
    gc.enable()
asyncio.run(main())
"""


def _longest_stand_still(tmp_path: Path, mode: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", FREEING_A_FAILED_CURSOR, mode, str(tmp_path / f"{mode}.db")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("mode", "frozen"), [("on-the-loop", True), ("off-the-loop", False)])
def test_the_event_loop_never_waits_while_a_failed_cursor_is_freed(
    tmp_path: Path, mode: str, frozen: bool
) -> None:
    """Python's own collector, on the event loop, stands it still until the connection's
    wait ends (the server's 60 s stall); CARE's server collects in a thread of its own."""
    longest = _longest_stand_still(tmp_path, mode)
    assert (longest > 2.0) is frozen, f"the event loop stood still for {longest:.1f} s"
