"""Beside workers, the host finds the deployments `prefect deploy --all` made, and pauses
the schedules this configuration leaves off (no mailbox poller without IMAP)."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import pytest
from prefect.client.orchestration import get_client
from prefect.deployments.runner import RunnerDeployment

from adapters.prefect_api import DEPLOYMENT
from deployments.catalog import Catalog
from flows.mailbox import poll_mailbox
from models.settings import get_settings
from tests.support.seed import Seeded


def _paused() -> bool:
    with get_client(sync_client=True) as client:
        found = client.read_deployment_by_name(f"{poll_mailbox.name}/{DEPLOYMENT}")
        return bool(found.paused)


def test_the_mailbox_poller_is_paused_without_imap_and_resumed_with_it(
    team: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    Catalog().register(create=True)
    # deployed with its schedule on (as a `prefect deploy` of an older prefect.yaml did;
    # the current one deploys it paused)
    deployment = poll_mailbox.to_deployment(name=DEPLOYMENT, interval=timedelta(seconds=30))
    cast(RunnerDeployment, deployment).apply()
    assert not _paused()
    Catalog().register(create=False)
    assert _paused()
    monkeypatch.setenv("CARE_IMAP_HOST", "imap.example.org")
    get_settings.cache_clear()
    Catalog().register(create=False)
    assert not _paused()
    get_settings.cache_clear()
