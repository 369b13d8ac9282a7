"""A worker and the time-keeping host die mid-escalation, on the production topology
(PostgreSQL, a Prefect server, two process workers, two `care host --dispatch urgent`):
every round still goes out on time, once, and every run the dead processes left is found
and started again. A bounded version of bench/failover.py (fewer incidents)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.failover import worker_failover


@pytest.mark.timeout(900)  # the topology starts in 1-2 minutes; lost runs are found in 90 s
def test_paging_goes_on_when_a_worker_and_the_time_keeper_die(tmp_path: Path) -> None:
    found = worker_failover(tmp_path, incidents=8, step_s=10, settle_s=240)
    assert found["killed_processes"] >= 2, found  # a worker with its flows, and a host
    assert found["missing_rounds"] == 0, found
    assert found["late_rounds"] == 0 and found["max_lateness_s"] <= 5, found
    assert found["duplicate_sms"] == 0 and found["unrecorded_sms"] == 0, found
    assert found["stuck_runs"] == 0, found
    assert found["db_connections_max"] <= 50, found
    # `care status` says all is well before, and again once the lost runs are started again
    healthy = {"record", "host", "time-keeper", "deadlines", "outbox", "prefect", "workers", "runs"}
    exit_code, before = found["status_before"]
    assert exit_code == 0 and before == dict.fromkeys(healthy, "ok"), found
    exit_code, after = found["status_after"]
    assert exit_code == 0 and {part for part, s in after.items() if s == "ok"} == healthy, found
    assert after.get("crashed runs") == "warn", found  # the dead worker's runs, started again
