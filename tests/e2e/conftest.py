"""One CARE per test module, started as a user starts it (`make run`), stopped at the end."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.e2e.care_app import CareApp, running_care

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="needs Debian's chromium (make browser)"
)


@pytest.fixture(scope="module")
def care(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CareApp]:
    """CARE's embedded default on free ports with its own data directory; demo enrolled."""
    with running_care(tmp_path_factory.mktemp("care")) as app:
        app.enroll_demo()
        yield app
