"""Does paging survive the loss of the processes running CARE's flows?

``python bench/failover.py`` (``--scenario workers``, the default): CARE's production
topology (``tests.support.production``: CARE and Prefect on PostgreSQL, two Prefect process
workers, two ``care host --dispatch urgent``). 20 urgent incidents are reported at once on a
policy of rounds 10 s apart; mid-escalation one worker is killed with ``kill -9`` together
with its flow processes, and so is the host holding the time-keeper's lease (with the
escalation runs in its threads). Measured (``tests.support.failover``):

- ``late_rounds``: rounds whose first SMS arrived more than 5 s after it was due;
  ``max_lateness_s``, ``median_lateness_s``: over every round of every incident;
- ``duplicate_sms``: a member paged twice in the same round of the same incident;
- ``stuck_runs``: runs of the incident flows still Running, Pending or Late 240 s after
  the kill (the dead processes' runs must be found and started again);
  ``runs_settled_after_s``: the kill -> no such run left;
- ``db_connections_max``: connections to CARE's database, sampled from pg_stat_activity.

Targets (issue 12): 0, <= 5, 0, 0, <= 50. ``--scenario timekeepers``: no Prefect at all, two
``python -m deployments.timekeeper`` processes, the lease holder killed 3 s in.
The last line is JSON. Starts PostgreSQL via scripts/.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from models.settings import get_settings
from tests.support.care_db import fresh_postgres, use_care
from tests.support.failover import lease_holder, seed
from tests.support.fake_twilio import FROM, fake_twilio
from tests.support.production import postgres_admin_url
from tests.support.rounds import ConnectionPeak, rounds, summary

ROOT = Path(__file__).resolve().parents[1]
INCIDENTS, STEP_S, KILL_AT_S = 20, 6, 3.0
DUE_S = [0, STEP_S, 2 * STEP_S, 3 * STEP_S]


def keeper(log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "deployments.timekeeper"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", choices=["workers", "timekeepers"], default="workers")
    if parser.parse_args().scenario == "timekeepers":
        timekeepers()
        return
    from tests.support.failover import worker_failover

    home = Path(tempfile.mkdtemp(prefix="care-bench-failover-"))
    load = os.getloadavg()[0]
    figures = worker_failover(home, incidents=20)
    figures["load_before"] = round(load, 2)
    figures["load_after"] = round(os.getloadavg()[0], 2)
    for key, value in figures.items():
        print(f"{key}: {value}")
    print(json.dumps(figures))


def timekeepers() -> None:
    admin = postgres_admin_url()
    home = Path(tempfile.mkdtemp(prefix="care-bench-failover-"))
    url = fresh_postgres(admin)
    use_care(home, url)

    with fake_twilio() as fake, ConnectionPeak(admin, url) as peak:
        os.environ.update(
            {
                "CARE_TWILIO_ACCOUNT_SID": fake.sid,
                "CARE_TWILIO_AUTH_TOKEN": fake.token,
                "CARE_TWILIO_FROM_NUMBER": FROM,
                "CARE_TWILIO_API_BASE": fake.url,
                "CARE_PUBLIC_URL": "https://care.example.org",
                "CARE_SMS_BACKOFF_S": "0.01",
            }
        )
        get_settings.cache_clear()
        keepers = [keeper(home / "keeper-a.log"), keeper(home / "keeper-b.log")]
        deadline = time.monotonic() + 120
        while lease_holder(url) is None and time.monotonic() < deadline:
            time.sleep(0.2)  # importing CARE takes a while on a loaded machine
        time.sleep(2)  # the standby is up too
        started = seed(INCIDENTS, STEP_S)
        first = min(started.values())
        time.sleep(max(0.0, first + KILL_AT_S - time.time()))
        holding = lease_holder(url)
        victim = next(k for k in keepers if holding and f":{k.pid}:" in holding)
        victim.send_signal(signal.SIGKILL)
        killed = time.time()
        time.sleep(max(0.0, first + DUE_S[-1] + STEP_S / 2 - time.time()))  # the last round
        for process in keepers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        print(json.dumps(figures(fake.delivered(), started, killed, peak.peak)))


def figures(sent: list, started: dict[str, float], killed: float, peak: int) -> dict:
    """Lateness of every round of every incident, from the SMS the fake Twilio API accepted
    (``tests.support.rounds``)."""
    found = rounds(sent, set(started))
    due = {(code, i): at + offset for code, at in started.items() for i, offset in enumerate(DUE_S)}
    lateness = found.lateness(due)
    after_kill = [wall for wall in found.first.values() if wall > killed]
    return {
        "incidents": len(started),
        "rounds": len(found.first),
        "missing_rounds": found.missing(due),
        "late_rounds": sum(late > 5 for late in lateness),
        "max_lateness_s": summary(lateness)["max"],
        "median_lateness_s": summary(lateness)["p50"],
        "duplicate_sms": found.duplicates,
        "unrecorded_sms": found.unmatched,
        "takeover_s": round(min(after_kill) - killed, 3) if after_kill else None,
        "db_connections_max": peak,
    }


if __name__ == "__main__":
    main()
