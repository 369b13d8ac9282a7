"""CARE's own Prefect server (``deployments.prefect_server``, as `make run` starts it) for tests.

Like Prefect's ``prefect_test_harness``, but the server is the one CARE ships, so the tests
run against the same SQLite transactions as the embedded default. This process's client,
including the host's threads (which read the process-global settings), talks to it.
"""

from __future__ import annotations

import inspect
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from deployments.embedded import prefect_env, start_prefect


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_stock_prefect(home: Path, api: str) -> subprocess.Popen[bytes]:
    """Prefect's own `prefect server start`, without CARE's transactions (a baseline)."""
    env = {**os.environ, **prefect_env(home, api)}
    log = (home / "prefect-server.log").open("ab")
    port = env["PREFECT_SERVER_API_PORT"]
    command = ["prefect", "server", "start", "--host", "127.0.0.1", "--port", port, "--no-ui"]
    server = subprocess.Popen(
        [sys.executable, "-m", *command], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    for _ in range(400):
        with suppress(httpx.HTTPError):
            if httpx.get(f"{api}/health", timeout=1.0).status_code == 200:
                return server
        time.sleep(0.3)
    server.kill()
    raise RuntimeError("Prefect's server did not start")


@contextmanager
def care_prefect_server(home: Path, *, ui: bool = False, stock: bool = False) -> Iterator[str]:
    """Start CARE's Prefect server with its data in `home`; yield its base URL (no /api).

    With `stock`, Prefect's own server instead: the baseline CARE's is measured against.
    """
    from prefect.context import _temporary_global_settings_context, get_settings_context
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_DATABASE_CONNECTION_URL,
        temporary_settings,
    )

    base = f"http://127.0.0.1:{free_port()}"
    api = f"{base}/api"
    server = start_stock_prefect(home, api) if stock else start_prefect(home, api, 120, ui=ui)
    database = f"sqlite+aiosqlite:///{Path(prefect_env(home, api)['PREFECT_HOME'])}/prefect.db"
    try:
        with (
            # the database too: CARE truncates the write-ahead log of that file
            temporary_settings(
                updates={PREFECT_API_URL: api, PREFECT_SERVER_DATABASE_CONNECTION_URL: database}
            ),
            _temporary_global_settings_context(get_settings_context()),
        ):
            yield base
            drain_workers()  # or they retry against the stopped server at exit
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def drain_workers() -> None:
    """Send this process's queued Prefect logs and events now, as the test harness does."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.utilities.asyncutils import run_coro_as_sync

    async def drain() -> None:
        try:
            logs = APILogWorker.instance().drain()
            if inspect.isawaitable(logs):
                await logs
        except RuntimeError:  # never started
            pass
        events = EventsWorker.drain_all()
        if inspect.isawaitable(events):
            await events

    run_coro_as_sync(drain())
