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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from models import db
from models.db import utcnow
from models.settings import get_settings
from record import members
from record.events import get_event
from tests.support.care_db import fresh_postgres, use_care
from tests.support.escalation import HANDLES
from tests.support.fake_twilio import FROM, fake_twilio
from tests.support.seed import seed_report, seed_team

ROOT = Path(__file__).resolve().parents[1]
INCIDENTS, STEP_S, KILL_AT_S = 20, 6, 3.0
STEPS = [
    {"target": "primary", "wait_s": STEP_S},
    {"target": "secondary", "wait_s": STEP_S},
    {"target": "all", "wait_s": STEP_S, "repeat_every_s": STEP_S},
]
DUE_S = [0, STEP_S, 2 * STEP_S, 3 * STEP_S]
PER_ROUND = [1, 1, 5, 5]  # whom each round pages: ana; ben; the five; the five


def keeper(log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "deployments.timekeeper"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def holder(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT holder FROM leases")).scalar()


def seed() -> dict[str, float]:
    """The team on call, the fast policy, and INCIDENTS urgent reports: code -> urgent_at."""
    with db.session_scope() as session:
        seed_team(session)
        event = get_event(session, "dce26")
        event.escalation_policy = {"steps": STEPS}
        now = utcnow()
        for handle, tier in (("ana", "primary"), ("ben", "secondary")):
            members.set_oncall(
                session,
                event=event,
                handle_=handle,
                tier=tier,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=1),
            )
    from record.incidents import get_incident

    started: dict[str, float] = {}
    with db.session_scope() as session:
        for number in range(INCIDENTS):
            code = seed_report(session, message_id=f"failover-{number}", urgent=True)
            urgent_at = get_incident(session, code).urgent_at
            assert urgent_at is not None
            started[code] = urgent_at.timestamp()
    return started


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
    admin = subprocess.run(
        ["bash", str(ROOT / "scripts" / "postgres.sh")], check=True, capture_output=True, text=True
    ).stdout.strip()
    home = Path(tempfile.mkdtemp(prefix="care-bench-failover-"))
    url = fresh_postgres(admin)
    use_care(home, url)
    engine = sa.create_engine(admin)
    peak = [0]
    stop = threading.Event()
    dbname = url.rsplit("/", 1)[1]

    def sample() -> None:
        while not stop.wait(0.2):
            with engine.connect() as conn:
                count = conn.execute(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"),
                    {"d": dbname},
                ).scalar_one()
            peak[0] = max(peak[0], int(count))

    with fake_twilio() as fake:
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
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        lease = sa.create_engine(url)
        deadline = time.monotonic() + 120
        while holder(lease) is None and time.monotonic() < deadline:
            time.sleep(0.2)  # importing CARE takes a while on a loaded machine
        time.sleep(2)  # the standby is up too
        started = seed()
        first = min(started.values())
        time.sleep(max(0.0, first + KILL_AT_S - time.time()))
        holding = holder(lease)
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
        stop.set()
        print(json.dumps(figures(fake.delivered(), started, killed, peak[0])))


def figures(sent: list, started: dict[str, float], killed: float, peak: int) -> dict:
    """Lateness of every round of every incident: each SMS the fake Twilio API accepted,
    matched by its SID to the page (incident, round, member) that CARE recorded."""
    from models.tables import Incident, Member, Page

    with db.session_scope() as session:
        rows = session.execute(
            sa.select(Page.provider_id, Incident.code, Page.round_index, Member.handle)
            .join(Incident, Incident.id == Page.incident_id)
            .join(Member, Member.id == Page.member_id)
            .where(Page.channel == "sms", Page.provider_id.is_not(None))
        ).all()
    page_of = {sid: (code, index, handle) for sid, code, index, handle in rows}
    arrivals: dict[tuple[str, int], list[float]] = {}
    pairs: Counter[tuple[str, int, str]] = Counter()
    for request in sent:
        code = next((c for c in started if f"case {c}." in request.body), None)
        if code is None:
            continue
        _, index, handle = page_of.get(request.sid, (code, -1, HANDLES[request.to]))
        arrivals.setdefault((code, index), []).append(request.wall)
        pairs[(code, index, handle)] += 1
    lateness = [
        min(walls) - (started[code] + DUE_S[index])
        for (code, index), walls in arrivals.items()
        if index >= 0
    ]
    after_kill = [min(w) for w in arrivals.values() if min(w) > killed]
    return {
        "incidents": len(started),
        "rounds": len(arrivals),
        "missing_rounds": len(started) * len(DUE_S) - len(lateness),
        "late_rounds": sum(late > 5 for late in lateness),
        "max_lateness_s": round(max(lateness), 3),
        "median_lateness_s": round(statistics.median(lateness), 3),
        "duplicate_sms": sum(n - 1 for n in pairs.values() if n > 1),
        "unmatched_sms": sum(1 for r in sent if r.sid not in page_of),
        "takeover_s": round(min(after_kill) - killed, 3) if after_kill else None,
        "db_connections_max": peak,
    }


if __name__ == "__main__":
    main()
