"""Is CARE healthy? One check per part: the record, Prefect, the workers, the hosts, the
time-keeper, the deadlines, the flow runs and the outbox (``care status``, and
``/healthz/details`` for a monitor on the intake's machine).

Prefect is asked over its REST API with httpx (no Prefect client: ``care status`` starts
in well under a second). Only counts, times and process names are shown, never a case.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx

from models import db
from models.db import utcnow
from models.settings import PrefectLink
from record.health import BACKLOG_AFTER, OVERDUE_AFTER, RecordHealth, record_health

WORK_POOL = "care"  # the pool prefect.yaml deploys the routine flows to
DEPLOYMENT = "care"  # every CARE flow's deployment is named so
WORKER_SILENT_AFTER = timedelta(seconds=90)  # Prefect workers send a heartbeat every 30 s
STUCK_AFTER = timedelta(minutes=2)  # as the host's sweep: a run Pending longer is stuck
CRASHED_WITHIN = timedelta(minutes=15)

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    part: str
    status: Status
    detail: str


def checks(*, now: datetime | None = None, timeout_s: float = 5.0) -> list[Check]:
    """Every part's check, the record's first; a part that cannot be asked fails."""
    now = now or utcnow()
    found: list[Check] = []
    try:
        with db.session_scope() as session:
            health = record_health(session, now=now)
    except Exception as exc:  # the database is down, or is not CARE's
        found.append(Check("record", "fail", f"cannot read the record: {type(exc).__name__}"))
    else:
        found += _record_checks(health, now)
    found += _prefect_checks(now, timeout_s)
    return found


def healthy(found: list[Check]) -> bool:
    return all(check.status != "fail" for check in found)


def as_json(found: list[Check]) -> dict[str, Any]:
    return {"healthy": healthy(found), "checks": [asdict(check) for check in found]}


def _record_checks(health: RecordHealth, now: datetime) -> list[Check]:
    found = []
    if health.schema == health.schema_head:
        found.append(Check("record", "ok", f"schema at {health.schema} (current)"))
    else:
        have = health.schema or "none"
        detail = f"schema at {have}, this code needs {health.schema_head}: run `care init`"
        found.append(Check("record", "fail", detail))
    if health.hosts:
        holder, last = health.hosts[0]
        more = f" (+{len(health.hosts) - 1} more)" if len(health.hosts) > 1 else ""
        detail = f"{holder}: last loop {_ago(last, now)} ago{more}"
        found.append(Check("host", "ok", detail))
    else:
        found.append(Check("host", "fail", "no `care host` has looped in the last 30 s"))
    if health.timekeeper:
        found.append(Check("time-keeper", "ok", f"kept by {health.timekeeper}"))
    else:
        found.append(Check("time-keeper", "fail", "nobody holds the escalation timetable"))
    late = health.overdue_rounds + health.stalled_pages
    if late:
        detail = (
            f"{health.overdue_rounds} rounds and {health.stalled_pages} pages not sent "
            f"{OVERDUE_AFTER.seconds} s after their deadline"
        )
        found.append(Check("deadlines", "fail", detail))
    else:
        found.append(Check("deadlines", "ok", "no page overdue"))
    if health.backlog:
        oldest = _ago(health.oldest_waiting, now) if health.oldest_waiting else "?"
        detail = (
            f"{health.backlog} messages waiting over {BACKLOG_AFTER.seconds} s (oldest {oldest})"
        )
        found.append(Check("outbox", "fail", detail))
    else:
        found.append(Check("outbox", "ok", "nothing waiting to be sent"))
    return found


def _prefect_checks(now: datetime, timeout_s: float) -> list[Check]:
    link = PrefectLink()
    secret = link.prefect_api_auth_string
    auth = tuple(secret.get_secret_value().split(":", 1)) if secret else None
    api = link.prefect_api_url.rstrip("/")
    try:
        with httpx.Client(base_url=api, auth=auth, timeout=timeout_s) as client:  # type: ignore[arg-type]
            answer = client.get("/health")
            if answer.status_code != 200:
                return [Check("prefect", "fail", f"{api} answers {answer.status_code}")]
            found = [Check("prefect", "ok", f"{api} answers")]
            found.append(_workers(client, now))
            found += _runs(client, now)
            return found
    except httpx.HTTPError as exc:
        return [Check("prefect", "fail", f"cannot reach {api}: {type(exc).__name__}")]


def _workers(client: httpx.Client, now: datetime) -> Check:
    answer = client.post(f"/work_pools/{WORK_POOL}/workers/filter", json={})
    if answer.status_code == 404:  # the embedded default: the host runs every flow
        return Check("workers", "ok", f"no work pool {WORK_POOL!r}: the host runs every flow")
    if answer.status_code in (401, 403):
        return Check("workers", "fail", "Prefect refuses CARE: check CARE_PREFECT_API_AUTH_STRING")
    answer.raise_for_status()
    beats = [_when(w["last_heartbeat_time"]) for w in answer.json() if w["last_heartbeat_time"]]
    alive = [beat for beat in beats if now - beat <= WORKER_SILENT_AFTER]
    if not alive:
        detail = (
            f"no worker of pool {WORK_POOL!r} polled in the last {WORKER_SILENT_AFTER.seconds} s"
        )
        return Check("workers", "fail", detail)
    return Check("workers", "ok", f"{len(alive)} polling pool {WORK_POOL!r}")


def _runs(client: httpx.Client, now: datetime) -> list[Check]:
    def runs_in(state: str) -> list[dict[str, Any]]:
        body = {
            "deployments": {"name": {"any_": [DEPLOYMENT]}},
            "flow_runs": {"state": {"type": {"any_": [state]}}},
            "limit": 200,
        }
        answer = client.post("/flow_runs/filter", json=body)
        answer.raise_for_status()
        return list(answer.json())

    def since(run: dict[str, Any]) -> timedelta:
        state = run.get("state") or {}
        return now - _when(state.get("timestamp") or run["updated"])

    stuck = [run for run in runs_in("PENDING") if since(run) > STUCK_AFTER]
    crashed = [run for run in runs_in("CRASHED") if since(run) <= CRASHED_WITHIN]
    found = []
    if stuck:
        detail = f"{len(stuck)} runs Pending for over {STUCK_AFTER.seconds // 60} minutes"
        found.append(Check("runs", "fail", detail))
    else:
        found.append(Check("runs", "ok", "no run stuck"))
    if crashed:
        minutes = CRASHED_WITHIN.seconds // 60
        detail = f"{len(crashed)} runs crashed in the last {minutes} minutes (started again)"
        found.append(Check("crashed runs", "warn", detail))
    return found


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _ago(then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"
