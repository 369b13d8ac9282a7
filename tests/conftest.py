"""Shared fixtures: a fresh CARE database on SQLite and PostgreSQL, Prefect, the host."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from deployments.host import Host
from models import db
from tests.support.care_db import drop_postgres, fresh_postgres, fresh_sqlite, use_care
from tests.support.host import running_host
from tests.support.prefect_server import care_prefect_server
from tests.support.seed import Seeded, seed_team

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Prefect's INFO lines on the console drown a failure's own message; they still reach the
# API (the personal-data scan reads them there)
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
os.environ.setdefault("DO_NOT_TRACK", "1")
# seeded editions lie in the past: the scheduled sweep would purge them mid-test
os.environ.setdefault("CARE_AFTER_CONFERENCE_SWEEP", "false")
# likewise the 6-hourly audit checkpoint: its team notice would join every test's messages
os.environ.setdefault("CARE_AUDIT_CHECKPOINT_POSTS", "false")
PG_URL = os.environ.get("CARE_TEST_PG_URL")


def _pg_param() -> object:
    if PG_URL:
        return pytest.param("postgresql", marks=pytest.mark.postgres)
    if os.environ.get("CI"):
        raise RuntimeError("CI must run the PostgreSQL tests: set CARE_TEST_PG_URL (make test)")
    return pytest.param(
        "postgresql", marks=pytest.mark.skip(reason="CARE_TEST_PG_URL unset; use make test")
    )


@pytest.fixture(params=["sqlite", _pg_param()])
def care_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty CARE database; yields its URL. Runs on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        url = fresh_sqlite(tmp_path)
        use_care(tmp_path, url)
        yield url
        return
    assert PG_URL
    url = fresh_postgres(PG_URL)
    use_care(tmp_path, url)
    try:
        yield url
    finally:
        drop_postgres(PG_URL, url)


@pytest.fixture
def sqlite_care(tmp_path: Path) -> Iterator[str]:
    """A migrated CARE database on SQLite only (for tests that need the raw file)."""
    url = fresh_sqlite(tmp_path)
    use_care(tmp_path, url)
    yield url


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """CARE's Prefect server (SQLite, as `make run` starts it) for the whole test session."""
    with care_prefect_server(tmp_path_factory.mktemp("prefect")):
        yield


@pytest.fixture
def team(tmp_path: Path, prefect_server: None) -> Seeded:
    """A real Prefect server and a migrated CARE database with the seeded team."""
    use_care(tmp_path, fresh_sqlite(tmp_path))
    with db.session_scope() as session:
        return seed_team(session)


@pytest.fixture
def host(team: Seeded) -> Iterator[Host]:
    """The CARE host running flows, for the seeded team."""
    with running_host() as running:
        yield running
