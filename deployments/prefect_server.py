"""CARE's Prefect server: `prefect server start`, with write transactions that wait their turn.

Prefect 3.9 on SQLite opens most write transactions as ``BEGIN DEFERRED``: the
transaction reads first and asks for the write lock only at its first write. If another
connection has written in between, SQLite cannot give it the lock at all and answers
``database is locked`` at once, without waiting ``busy_timeout`` (SQLITE_BUSY_SNAPSHOT).
Resuming a paused run is such a transaction (read the run, then set its state and store
the form's answer), so under load a member's answer in the Prefect UI failed with
"Oops. Something went wrong" and was lost; the UI does not retry.

CARE's server registers, through Prefect's own database dependency hook, a configuration
whose transactions begin ``IMMEDIATE``: a writer takes the lock before it reads, waits
for it up to ``busy_timeout`` (60 s), and is never refused. Reads outside a transaction
are unchanged, so the UI's polling never waits on a writer (write-ahead log).
PostgreSQL (production) needs none of this and is left alone.

Run it as ``python -m deployments.prefect_server [prefect server start options]``.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncGenerator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from prefect.server.database import configurations, dependencies
from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL
from sqlalchemy.engine import make_url


class ImmediateSqliteConfiguration(configurations.AioSqliteConfiguration):
    """Prefect's SQLite configuration, with every write transaction begun IMMEDIATE."""

    @asynccontextmanager
    async def begin_transaction(
        self, session: Any, with_for_update: bool = False
    ) -> AsyncGenerator[Any, None]:
        token = configurations.SQLITE_BEGIN_MODE.set("IMMEDIATE")
        try:
            async with session.begin() as transaction:
                yield transaction
        finally:
            configurations.SQLITE_BEGIN_MODE.reset(token)


def use_immediate_transactions() -> bool:
    """Have this process's Prefect server begin its write transactions IMMEDIATE (SQLite only)."""
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

    use_immediate_transactions()
    args = sys.argv[1:] if argv is None else list(argv)
    sys.argv = ["prefect", "server", "start", *args]  # Prefect's CLI reads its arguments there
    app()


if __name__ == "__main__":
    main()
