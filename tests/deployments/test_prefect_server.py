"""Answers given in the Prefect UI are not lost while other clients write to Prefect's SQLite.

Prefect's own server begins the resume transaction DEFERRED; with writers beside it, most
resumes failed at once with 503 "database is locked" (87 of 100 in bench/answers.py). CARE's
server begins write transactions IMMEDIATE: every resume waits its turn and is accepted.
"""

from __future__ import annotations

from pathlib import Path

import httpx

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
