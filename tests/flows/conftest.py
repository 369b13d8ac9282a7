"""Flow tests: a real Prefect server, a migrated CARE database, the host running flows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deployments.host import Host
from models import db
from tests.support.care_db import fresh_sqlite, use_care
from tests.support.host import running_host
from tests.support.seed import Seeded, seed_team


@pytest.fixture
def team(tmp_path: Path, prefect_server: None) -> Seeded:
    use_care(tmp_path, fresh_sqlite(tmp_path))
    with db.session_scope() as session:
        return seed_team(session)


@pytest.fixture
def host(team: Seeded) -> Iterator[Host]:
    with running_host() as running:
        yield running
