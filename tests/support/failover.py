"""A worker dies mid-escalation, on CARE's production topology: what bench/failover.py
measures.

Two Prefect process workers and two `care host --dispatch urgent` (one keeps the
timetable, the other stands by). Urgent incidents are reported at once on a policy of
rounds ``step_s`` apart. As soon as a worker runs flow processes, it is killed with
``kill -9`` together with every flow process it started, and so is the host holding the
time-keeper's lease (with the escalation runs in its threads). After the last round the
cases are taken, and the survivors are given until ``settle_s`` after the kill to find
every run the dead processes left.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from models import db
from models.db import utcnow
from models.tables import AuditEntry
from record import members
from record.acts.acknowledge import take_urgent_case
from record.events import get_event
from record.incidents import get_incident
from tests.support.fake_twilio import FROM, fake_twilio
from tests.support.production import Production, descendants, postgres_admin_url, production
from tests.support.rounds import ConnectionPeak, rounds, summary
from tests.support.seed import seed_report, seed_team

INCIDENT_FLOWS = ("handle-incident", "escalate-incident", "acknowledge-urgent", "collect-signoff")


def policy(step_s: int) -> list[dict[str, Any]]:
    return [
        {"target": "primary", "wait_s": step_s},
        {"target": "secondary", "wait_s": step_s},
        {"target": "all", "wait_s": step_s, "repeat_every_s": step_s},
    ]


def seed(incidents: int, step_s: int) -> dict[str, float]:
    """The team on call, the policy, and the urgent reports: code -> urgent_at."""
    with db.session_scope() as session:
        seed_team(session)
        event = get_event(session, "dce26")
        event.escalation_policy = {"steps": policy(step_s)}
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
    started: dict[str, float] = {}
    with db.session_scope() as session:
        for number in range(incidents):
            code = seed_report(session, message_id=f"failover-{number}", urgent=True)
            urgent_at = get_incident(session, code).urgent_at
            assert urgent_at is not None
            started[code] = urgent_at.timestamp()
    return started


def lease_holder(url: str) -> str | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT holder FROM leases")).scalar()
    finally:
        engine.dispose()


def unsettled_runs(api: str, auth: tuple[str, str]) -> list[dict[str, Any]]:
    """Runs of the incident flows still Running or Pending, or Late (Scheduled, nobody
    took them): alive, or lost."""
    body = {
        "flows": {"name": {"any_": list(INCIDENT_FLOWS)}},
        "flow_runs": {"state": {"type": {"any_": ["RUNNING", "PENDING", "SCHEDULED"]}}},
        "limit": 200,
    }
    found = httpx.post(f"{api}/flow_runs/filter", json=body, auth=auth, timeout=30)
    found.raise_for_status()
    return [
        run
        for run in found.json()
        if run["state_type"] != "SCHEDULED" or run["state_name"] == "Late"
    ]


def wait(until: Callable[[], bool], deadline: float, every: float = 1.0) -> bool:
    while not until():
        if time.time() > deadline:
            return False
        time.sleep(every)
    return True


def kill_mid_escalation(topology: Production, first_urgent_at: float, within_s: float) -> int:
    """Kill -9 the busiest worker (once it runs a flow process, or after ``within_s``) with
    its flow processes, and the host holding the lease; how many processes died."""
    wait(
        lambda: any(descendants(w.pid) for w in topology.workers),
        first_urgent_at + within_s,
        every=0.2,
    )
    worker = max(topology.workers, key=lambda w: len(descendants(w.pid)))
    holding = lease_holder(topology.care_url) or ""
    host = next((h for h in topology.hosts if f":{h.pid}:" in holding), topology.hosts[0])
    return topology.kill_worker(worker) + topology.kill_worker(host)


def worker_failover(
    home: Path, *, incidents: int, step_s: int = 10, settle_s: float = 240.0
) -> dict[str, Any]:
    """Run the scenario; its figures (see bench/failover.py for what each means)."""
    dues = [0, step_s, 2 * step_s, 3 * step_s]
    with fake_twilio() as fake:
        settings = {
            "CARE_TWILIO_ACCOUNT_SID": fake.sid,
            "CARE_TWILIO_AUTH_TOKEN": fake.token,
            "CARE_TWILIO_FROM_NUMBER": FROM,
            "CARE_TWILIO_API_BASE": fake.url,
            "CARE_SMS_BACKOFF_S": "0.01",
        }
        with (
            production(home, workers=2, hosts=2, settings=settings) as topology,
            ConnectionPeak(postgres_admin_url(), topology.care_url) as peak,
        ):
            status_before = topology.status()
            started = seed(incidents, step_s)
            first = min(started.values())
            killed_processes = kill_mid_escalation(topology, first, within_s=step_s * 1.5)
            killed = time.time()
            time.sleep(max(0.0, first + dues[-1] + step_s / 2 - time.time()))
            with db.session_scope() as session:
                for code in started:
                    take_urgent_case(session, incident_code=code, handle="ana", channel="console")
            settled = wait(
                lambda: not unsettled_runs(topology.api, topology.auth), killed + settle_s, every=2
            )
            settled_after = time.time() - killed
            stuck = unsettled_runs(topology.api, topology.auth)
            status_after = topology.status()
            with db.session_scope() as session:
                restarts = session.scalar(
                    sa.select(sa.func.count()).where(AuditEntry.action.like("flow.restarted.%"))
                )
            found = rounds(fake.delivered(), set(started))
            due = {
                (code, index): at + offset
                for code, at in started.items()
                for index, offset in enumerate(dues)
            }
            lateness = found.lateness(due)
            return {
                "incidents": incidents,
                "killed_processes": killed_processes,
                "rounds": len(due),
                "missing_rounds": found.missing(due),
                "late_rounds": sum(late > 5 for late in lateness),
                "max_lateness_s": summary(lateness)["max"],
                "median_lateness_s": summary(lateness)["p50"],
                "by_round": found.by_round(due),
                "killed_after_s": round(killed - first, 1),
                "duplicate_sms": found.duplicates,
                "unrecorded_sms": found.unmatched,
                "stuck_runs": len(stuck),
                "stuck": sorted(f"{r['name']}:{r['state_name']}" for r in stuck),
                "runs_settled_after_s": round(settled_after, 1) if settled else None,
                "runs_restarted": int(restarts or 0),
                "db_connections_max": peak.peak,
                # `care status`: (exit code, each part) before the incidents, and after
                "status_before": status_before,
                "status_after": status_after,
            }
