"""Flow tests: a real Prefect server, warmed once per module, and a fake Twilio API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models.settings import get_settings
from tests.support.escalation import warm_prefect
from tests.support.fake_twilio import FakeTwilio, fake_twilio, use_fake_twilio


@pytest.fixture(scope="module")
def warm(prefect_server: None) -> None:
    warm_prefect()


@pytest.fixture
def fake(care_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilio]:
    """The fake Twilio API, CARE pointed at it, two SMS attempts per page."""
    with fake_twilio() as running:
        use_fake_twilio(monkeypatch, running, CARE_SMS_ATTEMPTS="2")
        yield running
    get_settings.cache_clear()
