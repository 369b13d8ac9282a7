"""A worker and a host die mid-escalation on the production topology, and nothing is lost.

The bounded version of bench/failover.py (tests.support.failover): CARE and Prefect on
PostgreSQL, two Prefect process workers, two `care host --dispatch urgent`, five urgent
incidents with rounds 10 s apart. `kill -9` of the busiest worker with its flow processes
and of the host keeping the timetable, with the escalation runs in its threads.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.failover import worker_failover

pytestmark = pytest.mark.skipif(
    not os.environ.get("CARE_TEST_PG_URL") and not os.environ.get("CI"),
    reason="CARE_TEST_PG_URL unset; use make test",
)


def test_every_round_goes_out_on_time_and_every_lost_run_starts_again(tmp_path: Path) -> None:
    figures = worker_failover(tmp_path, incidents=5, step_s=10.0, settle_s=240.0)
    assert figures["killed_processes"] >= 2  # the worker and the host, at least
    assert figures["missing_rounds"] == 0, figures
    assert figures["late_rounds"] == 0, figures  # none later than 5 s
    assert figures["duplicate_sms"] == 0, figures
    assert figures["stuck_runs"] == 0, figures["stuck"]  # found, crashed, started again
